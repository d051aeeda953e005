resource "ecstpl_template" "web" {
  family                   = "web-template"
  deploy_family            = "web"
  cpu                      = "512"
  memory                   = "1 GB"
  network_mode             = "awsvpc"
  requires_compatibilities = ["FARGATE"]
  execution_role_arn       = "arn:aws:iam::123456789012:role/web-execution"
  task_role_arn            = "arn:aws:iam::123456789012:role/web-task"

  container_definitions = jsonencode([{
    name         = "app"
    image        = "placeholder" # CI injects the real image
    portMappings = [{ containerPort = 8080 }]
    environment = [
      { name = "LOG_LEVEL", value = "info" },
    ]
    secrets = [
      { name = "DATABASE_URL", valueFrom = "arn:aws:ssm:eu-west-1:123456789012:parameter/web/database-url" },
    ]
    mountPoints = [{ sourceVolume = "data", containerPath = "/data" }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = "/ecs/web"
        awslogs-region        = "eu-west-1"
        awslogs-stream-prefix = "app"
      }
    }
  }])

  volume {
    name = "data"
    efs_volume_configuration {
      file_system_id     = "fs-0123456789abcdef0"
      transit_encryption = "ENABLED"
      authorization_config {
        iam = "ENABLED"
      }
    }
  }

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "ARM64"
  }

  tags = {
    service = "web"
  }
}
