# Rolls the latest template revision out to the service, keeping the images CI deployed:
#   terraform apply -invoke=action.ecstpl_rollout.web
# or, from the template, in the same apply as a template change:
#   lifecycle {
#     action_trigger {
#       events  = [after_update]
#       actions = [action.ecstpl_rollout.web]
#     }
#   }
action "ecstpl_rollout" "web" {
  config {
    cluster       = "prod"
    service       = "web"
    template      = ecstpl_template.web.family
    timeout       = "20m"
    poll_interval = "10s"
    wait_until    = "deployed" # or "stable", or "paused" to stop at a PAUSE lifecycle hook
  }
}
