//! Rolling out to an ECS Express service: the same render, registration and following as any
//! service, with two differences. A revision that cannot serve an Express service (no `Main`
//! container with one named TCP port, no FARGATE compatibility) is refused before it is
//! registered; and the revision is handed over with UpdateExpressGatewayService, never
//! UpdateService (see [`crate::rollout::point_service_at`]).

use serde_json::{Map, Value as Json};

use crate::aws::{Ecs, Service};
use crate::rollout::{RolloutError, refused};
use crate::taskdef;

/// Refuses `definition` for an Express service that it cannot serve, naming every reason.
/// `what` says which definition it is ("the rendered task definition", a revision).
pub(crate) fn refuse_unservable(
    service: &Service,
    definition: &Map<String, Json>,
    what: &str,
) -> Result<(), RolloutError> {
    if !service.express {
        return Ok(());
    }
    let problems = taskdef::express_problems(definition, &[]);
    if problems.is_empty() {
        return Ok(());
    }
    let reasons: Vec<String> = problems
        .iter()
        .map(|p| format!("{}: {}", p.summary, p.detail.trim_end_matches('.')))
        .collect();
    Err(refused(format!(
        "service {:?} is an Express service and {what} cannot serve it: {}; nothing was registered or changed. Fix the template (mark its ecstpl_template with express = true to check this at plan time)",
        service.name,
        reasons.join("; ")
    )))
}

/// The task definition the service runs as its own API reports it: for an Express service,
/// DescribeExpressGatewayService's active configuration (DescribeServices' PRIMARY deployment
/// when it lists none); for any other service, the PRIMARY deployment's.
pub(crate) async fn reported_task_definition(
    ecs: &Ecs,
    service: &Service,
) -> Result<String, RolloutError> {
    if !service.express {
        return Ok(service.live_task_definition().to_string());
    }
    Ok(ecs
        .express_task_definition(&service.arn)
        .await?
        .unwrap_or_else(|| service.live_task_definition().to_string()))
}
