# Terraform 1.12 and later: import by identity (account_id and region default to the provider's).
import {
  to       = ecstpl_template.web
  identity = { family = "web-template" }
}
