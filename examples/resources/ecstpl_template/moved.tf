# Terraform 1.8 and later: adopt an aws_ecs_task_definition without registering anything.
# Rename the resource block to ecstpl_template (same arguments), then:
moved {
  from = aws_ecs_task_definition.web
  to   = ecstpl_template.web
}
