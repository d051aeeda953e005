# The revision a service runs, read without owning it.
data "ecstpl_deployed_revision" "web" {
  cluster      = "prod"
  service      = "web"
  template     = ecstpl_template.web.family
  fallback_arn = ecstpl_template.web.arn # first apply of a new stack: no service yet
}

output "live_images" {
  value = data.ecstpl_deployed_revision.web.images
}

output "behind_the_template" {
  value = !data.ecstpl_deployed_revision.web.in_sync
}

output "hand_edits" {
  value = data.ecstpl_deployed_revision.web.drift
}
