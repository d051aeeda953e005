# The template pattern on an ECS Express service: Terraform owns the task definition template
# (checked at plan time against what Express needs), CI owns the image (`ecstpl deploy`), and
# what the Express service runs is read back without owning it.
terraform {
  required_providers {
    ecstpl = {
      source  = "ecstpl/ecstpl"
      version = "~> 0.1"
    }
  }
}

provider "ecstpl" {
  region = "eu-west-1"
}

variable "execution_role_arn" {
  type    = string
  default = "arn:aws:iam::123456789012:role/web-execution"
}

variable "task_role_arn" {
  type    = string
  default = "arn:aws:iam::123456789012:role/web-task"
}

resource "ecstpl_template" "web" {
  family        = "web-template"
  deploy_family = "web"

  # Plan fails unless this can serve an Express service: a container named Main with a single
  # TCP port mapping that has a containerPort and a name, and FARGATE compatibility.
  express = true

  cpu                      = "512"
  memory                   = "1024"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  execution_role_arn       = var.execution_role_arn
  task_role_arn            = var.task_role_arn

  container_definitions = jsonencode([
    {
      name      = "Main"
      image     = "public.ecr.aws/nginx/nginx:stable" # placeholder: CI sets the image
      essential = true
      portMappings = [
        { containerPort = 8080, name = "http" }
      ]
      environment = [
        { name = "LOG_LEVEL", value = "info" }
      ]
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = "/ecs/web"
          awslogs-region        = "eu-west-1"
          awslogs-stream-prefix = "web"
        }
      }
    },
    {
      name      = "otel"
      image     = "public.ecr.aws/aws-observability/aws-otel-collector:latest"
      essential = false
    }
  ])
}

# What the Express service runs now (DescribeExpressGatewayService), or the template revision
# before the service exists.
data "ecstpl_deployed_revision" "web" {
  cluster      = "prod"
  service      = "web"
  template     = ecstpl_template.web.family
  fallback_arn = ecstpl_template.web.arn
}

# The task definition ARN to create the Express service with (its taskDefinitionArn): always
# what CI deployed, so recreating or reconfiguring the service never rolls the image back.
output "task_definition_arn" {
  value = data.ecstpl_deployed_revision.web.arn
}

output "in_sync" {
  description = "Whether the live revision was rendered from the latest template."
  value       = data.ecstpl_deployed_revision.web.in_sync
}
