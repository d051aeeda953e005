# One service with the whole template pattern: Terraform owns the template, CI owns the image,
# and the service always points at what is live. No ignore_changes anywhere.
#
#   terraform apply -var 'subnet_ids=["subnet-…"]'   template web-template:N, service on it (first apply)
#   ecstpl deploy --cluster prod --service web --image app=repo:v42      (in CI, many times a day)
#   terraform plan                        clean: the data source returns what CI deployed
terraform {
  required_providers {
    ecstpl = {
      source  = "ecstpl/ecstpl"
      version = "~> 0.1"
    }
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.0"
    }
  }
}

variable "cluster" {
  type    = string
  default = "prod"
}

variable "name" {
  type    = string
  default = "web"
}

# The service's tasks run in these subnets (awsvpc): ECS refuses a service without one. They
# need a route to the image registry (a NAT gateway, or VPC endpoints).
variable "subnet_ids" {
  type        = list(string)
  description = "Subnets for the service's tasks, at least one."

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "Give at least one subnet: ECS refuses an awsvpc service without subnets."
  }
}

resource "ecstpl_template" "this" {
  family                   = "${var.name}-template"
  deploy_family            = var.name
  cpu                      = "256"
  memory                   = "512"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]

  container_definitions = jsonencode([{
    name         = "app"
    image        = "placeholder"
    portMappings = [{ containerPort = 8080 }]
    environment  = [{ name = "LOG_LEVEL", value = "info" }]
  }])
}

data "ecstpl_deployed_revision" "this" {
  cluster      = var.cluster
  service      = var.name
  template     = ecstpl_template.this.family
  fallback_arn = ecstpl_template.this.arn
}

resource "aws_ecs_service" "this" {
  name            = var.name
  cluster         = var.cluster
  desired_count   = 2
  launch_type     = "FARGATE"
  task_definition = data.ecstpl_deployed_revision.this.arn # always what is live

  network_configuration {
    subnets = var.subnet_ids
  }

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
}

output "template_arn" {
  value = ecstpl_template.this.arn
}

output "live_arn" {
  value = data.ecstpl_deployed_revision.this.arn
}

output "in_sync" {
  value = data.ecstpl_deployed_revision.this.in_sync
}
