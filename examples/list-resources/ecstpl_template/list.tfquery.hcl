# Terraform 1.14 and later, in a .tfquery.hcl file:
#   terraform query -generate-config-out=templates.tf
list "ecstpl_template" "templates" {
  provider = ecstpl
  config {
    only_templates = true
  }
}
