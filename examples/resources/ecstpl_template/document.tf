# The task definition file a team already keeps (for ecspresso or aws-actions), as it is.
resource "ecstpl_template" "api" {
  family          = "api-template"
  deploy_family   = "api"
  task_definition = file("${path.module}/ecs-task-def.json")
}
