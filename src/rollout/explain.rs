//! Why a rollout failed, in ECS's own words: the failed revision's stopped tasks (their stop
//! code, stopped reason, each container's reason and exit code), identical reasons grouped, and
//! the service's events since the deployment started. Read only after a deployment failed, so
//! a rollout that works makes no extra call.

use serde_json::{Value as Json, json};

use crate::aws::{Ecs, ServiceDeployment, Task};
use crate::rollout::Target;

/// How many service events an explanation quotes.
const EVENTS: usize = 5;

/// What ECS says about a failed rollout.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Explanation {
    /// (tasks, reason), most frequent first.
    pub stopped_tasks: Vec<(usize, String)>,
    /// Service events since the deployment started, newest first.
    pub events: Vec<String>,
}

impl Explanation {
    pub fn is_empty(&self) -> bool {
        self.stopped_tasks.is_empty() && self.events.is_empty()
    }

    /// One line a reason or event (`2 tasks: CannotPullContainerError: …`).
    pub fn lines(&self) -> Vec<String> {
        let tasks = self.stopped_tasks.iter().map(|(count, reason)| {
            format!(
                "{count} task{}: {reason}",
                if *count == 1 { "" } else { "s" }
            )
        });
        let events = self.events.iter().map(|e| format!("service event: {e}"));
        tasks.chain(events).collect()
    }

    pub fn json(&self) -> Json {
        json!({
            "stopped_tasks": self.stopped_tasks.iter().map(|(count, reason)| json!({"tasks": count, "reason": reason})).collect::<Vec<_>>(),
            "service_events": self.events,
        })
    }
}

/// Why one task stopped: a container that exited with an error says so with its code; one that
/// never started says what ECS says (the stopped reason, else the container's reason).
pub(crate) fn task_reason(task: &Task) -> String {
    let exited: Vec<String> = task
        .containers
        .iter()
        .filter_map(|(name, code, reason)| {
            let code = (*code)?;
            (code != 0).then(|| match reason {
                Some(reason) => format!("container {name} exited with {code}: {reason}"),
                None => format!("container {name} exited with {code}"),
            })
        })
        .collect();
    if !exited.is_empty() {
        return exited.join("; ");
    }
    if let Some(reason) = task.stopped_reason.as_deref().filter(|r| !r.is_empty()) {
        return reason.to_string();
    }
    if let Some(reason) = task.containers.iter().find_map(|(_, _, r)| r.clone()) {
        return reason;
    }
    task.stop_code
        .clone()
        .unwrap_or_else(|| "stopped without a reason".into())
}

/// Identical reasons as one entry with its count, the most frequent first (ties by reason).
pub(crate) fn group(reasons: impl IntoIterator<Item = String>) -> Vec<(usize, String)> {
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for reason in reasons {
        *counts.entry(reason).or_default() += 1;
    }
    let mut grouped: Vec<(usize, String)> = counts.into_iter().map(|(r, c)| (c, r)).collect();
    grouped.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    grouped
}

/// Why the rollout of `task_definition_arn`, started at `since` (seconds since the epoch),
/// failed. What cannot be read (permissions, an endpoint without the call) is left out: an
/// explanation adds to a failure, it never replaces it.
pub(crate) async fn why(
    ecs: &Ecs,
    target: &Target,
    task_definition_arn: &str,
    since: f64,
) -> Explanation {
    let tasks = match ecs.stopped_tasks(&target.cluster, &target.service).await {
        Ok(tasks) => tasks,
        Err(err) => {
            tracing::info!(%err, "could not read the service's stopped tasks");
            Vec::new()
        }
    };
    let stopped_tasks = group(
        tasks
            .iter()
            .filter(|t| t.task_definition_arn.as_deref() == Some(task_definition_arn))
            .map(task_reason),
    );
    // Events are stamped by ECS's clock: a minute of slack for this machine's.
    let events = match ecs.describe_service(&target.cluster, &target.service).await {
        Ok(Some(service)) => service
            .events
            .iter()
            .filter(|(at, _)| *at >= since - 60.0)
            .take(EVENTS)
            .map(|(_, message)| message.clone())
            .collect(),
        Ok(None) => Vec::new(),
        Err(err) => {
            tracing::info!(%err, "could not read the service's events");
            Vec::new()
        }
    };
    Explanation {
        stopped_tasks,
        events,
    }
}

/// Why `deployment` failed: the stopped tasks of its target revision and the events since it
/// started; None when ECS says nothing more (or its target cannot be read).
pub(crate) async fn of_deployment(
    ecs: &Ecs,
    target: &Target,
    deployment: &ServiceDeployment,
) -> Option<Explanation> {
    let revision = deployment.target_revision.as_deref()?;
    let task_definition = match ecs.service_revision_task_definition(revision).await {
        Ok(found) => found?,
        Err(err) => {
            tracing::info!(%err, "could not read the failed deployment's revision");
            return None;
        }
    };
    let since = deployment.created_at.unwrap_or_default();
    let why = why(ecs, target, &task_definition, since).await;
    (!why.is_empty()).then_some(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn task(
        stopped_reason: Option<&str>,
        containers: &[(&str, Option<i32>, Option<&str>)],
    ) -> Task {
        Task {
            arn: "t".into(),
            task_definition_arn: None,
            last_status: "STOPPED".into(),
            stop_code: Some("TaskFailedToStart".into()),
            stopped_reason: stopped_reason.map(str::to_string),
            containers: containers
                .iter()
                .map(|(n, c, r)| (n.to_string(), *c, r.map(str::to_string)))
                .collect(),
        }
    }

    #[test]
    fn a_task_says_why_in_ecss_words_and_an_exit_code_names_its_container() {
        let pull = "CannotPullContainerError: repo/app:v404: not found";
        assert_eq!(
            task_reason(&task(Some(pull), &[("app", None, Some(pull))])),
            pull
        );
        let exited = task(
            Some("Essential container in task exited"),
            &[("app", Some(1), None), ("log", Some(0), None)],
        );
        assert_eq!(task_reason(&exited), "container app exited with 1");
        let container_only = task(None, &[("app", None, Some("OutOfMemoryError"))]);
        assert_eq!(task_reason(&container_only), "OutOfMemoryError");
        assert_eq!(task_reason(&task(None, &[])), "TaskFailedToStart");
    }

    #[test]
    fn identical_reasons_are_grouped_most_frequent_first() {
        let grouped = group([
            "b".to_string(),
            "a".into(),
            "b".into(),
            "c".into(),
            "a".into(),
            "b".into(),
        ]);
        assert_eq!(
            grouped,
            vec![
                (3, "b".to_string()),
                (2, "a".to_string()),
                (1, "c".to_string())
            ]
        );
        let explanation = Explanation {
            stopped_tasks: vec![(2, "x".into()), (1, "y".into())],
            events: vec!["(service web) deployment failed".into()],
        };
        assert_eq!(
            explanation.lines(),
            vec![
                "2 tasks: x",
                "1 task: y",
                "service event: (service web) deployment failed"
            ]
        );
    }
}
