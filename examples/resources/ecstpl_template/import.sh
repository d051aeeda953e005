# By ARN, by family:revision, or by family (its latest ACTIVE revision).
terraform import ecstpl_template.web arn:aws:ecs:eu-west-1:123456789012:task-definition/web-template:7
terraform import ecstpl_template.web web-template:7
terraform import ecstpl_template.web web-template
