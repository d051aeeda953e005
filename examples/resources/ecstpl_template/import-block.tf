# Terraform 1.5 and later: import as part of a plan.
import {
  to = ecstpl_template.web
  id = "web-template"
}
