//! Where a rollback goes when no revision is named: the revision the service ran before the
//! deployment that made its live revision live, as ECS's service deployment history records
//! it; never a revision that merely exists in the family (a one-off task's, say, which never
//! served). And what a rollback may not go to without being told twice.

use crate::aws::{Ecs, Revision};
use crate::rollout::{Live, RolloutError, Target};

/// The task definition ARN the service ran before its live revision, or None when ECS's
/// records do not say (the service was created on it; or its deployments predate the service
/// deployments API and none is draining).
pub(crate) async fn ran_before(
    ecs: &Ecs,
    target: &Target,
    live: &Live,
) -> Result<Option<String>, RolloutError> {
    match ecs
        .ran_before(&target.cluster, &target.service, live.revision.arn())
        .await
    {
        Ok(found) => Ok(found),
        // Endpoints without the history: a deployment still draining is what ran before.
        Err(err) if err.is_unknown_operation() => Ok(live
            .service
            .deployments
            .iter()
            .find(|d| d.status == "ACTIVE" && d.task_definition != live.revision.arn())
            .map(|d| d.task_definition.clone())),
        Err(err) => Err(err.into()),
    }
}

/// Why `destination` is not a revision to roll `live` back to without insisting: another
/// family (another application's definition), or a template revision (its images are the
/// template's placeholders). None when it is fine.
pub(crate) fn unusual_destination(live: &Revision, destination: &Revision) -> Option<String> {
    if destination.is_template() && !live.is_template() {
        return Some(format!(
            "{} is a template revision: its containers run the template's own images (placeholders), not what CI deployed",
            destination.family_revision()
        ));
    }
    if destination.family() != live.family() {
        return Some(format!(
            "{} is in family {:?}, but the service runs family {:?}: it is another application's definition",
            destination.family_revision(),
            destination.family(),
            live.family()
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn revision(family: &str, number: i64, role: Option<&str>) -> Revision {
        Revision {
            task_definition: json!({
                "taskDefinitionArn": format!("arn:aws:ecs:us-east-1:1:task-definition/{family}:{number}"),
                "family": family, "revision": number, "status": "ACTIVE"
            })
            .as_object()
            .cloned()
            .unwrap_or_default(),
            tags: role
                .map(|role| [("ecstpl:role".to_string(), role.to_string())].into())
                .unwrap_or_default(),
        }
    }

    #[test]
    fn another_family_and_template_revisions_are_unusual_destinations() {
        let live = revision("web", 6, Some("deployed"));
        assert_eq!(
            unusual_destination(&live, &revision("web", 4, Some("deployed"))),
            None
        );
        let other = unusual_destination(&live, &revision("bg-web", 1, Some("deployed")))
            .unwrap_or_default();
        assert!(other.contains("another application's"), "{other}");
        let template = unusual_destination(&live, &revision("web-template", 1, Some("template")))
            .unwrap_or_default();
        assert!(template.contains("template revision"), "{template}");
        // A revision someone registered by hand into the family is the family's own.
        assert_eq!(unusual_destination(&live, &revision("web", 2, None)), None);
    }
}
