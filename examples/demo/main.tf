# The Terraform half of the pattern: the template (all infrastructure configuration, a
# placeholder image) and the live revision read without owning it.
terraform {
  required_providers {
    ecstpl = { source = "ecstpl/ecstpl" }
  }
}

provider "ecstpl" {
  region = "us-east-1"

  default_tags {
    tags = { managed-by = "terraform" }
  }
}

variable "log_level" {
  type    = string
  default = "info"
}

resource "ecstpl_template" "web" {
  family                   = "web-template"
  deploy_family            = "web"
  cpu                      = ".25 vCPU"
  memory                   = "512"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  execution_role_arn       = "arn:aws:iam::123456789012:role/web-execution"
  tags                     = { service = "web" }

  container_definitions = jsonencode([{
    name         = "app"
    image        = "placeholder"
    portMappings = [{ containerPort = 8080 }]
    environment = [
      { name = "LOG_LEVEL", value = var.log_level },
      { name = "PORT", value = "8080" },
    ]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = "/ecs/web"
        awslogs-region        = "us-east-1"
        awslogs-stream-prefix = "app"
      }
    }
  }])
}

# What the service runs: the fallback until the service exists, then whatever CI deployed.
# An aws_ecs_service would use `task_definition = data.ecstpl_deployed_revision.web.arn`.
data "ecstpl_deployed_revision" "web" {
  cluster      = "prod"
  service      = "web"
  template     = ecstpl_template.web.family
  fallback_arn = ecstpl_template.web.arn
}

output "template_arn" {
  value = ecstpl_template.web.arn
}

output "template_revision" {
  value = ecstpl_template.web.revision
}
