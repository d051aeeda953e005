//! What `ecstpl_template` keeps in Terraform's private state (opaque to users, carried from
//! refresh to plan to apply): facts about the revision in ECS that the next apply must act on.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Private {
    /// The revision lacks ecstpl's contract tags (imported, or a tag removed by hand): the
    /// next apply tags it in place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub contract_tags_missing: bool,
    /// Superseded template revisions whose deregistration failed: the next apply retries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending_deregistration: Vec<String>,
    /// The superseded revisions could not even be listed: the next apply looks again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub supersede_pending: bool,
    /// The state was moved from `aws_ecs_task_definition` and not yet applied: its set-backed
    /// blocks are in an order the configuration did not choose (see `moved`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub moved: bool,
}

impl Private {
    /// Whether the next apply has clean-up to retry.
    pub(crate) fn clean_up_pending(&self) -> bool {
        self.supersede_pending || !self.pending_deregistration.is_empty()
    }
}

impl Private {
    pub(crate) fn parse(bytes: &[u8]) -> Private {
        if bytes.is_empty() {
            return Private::default();
        }
        serde_json::from_slice(bytes).unwrap_or_default()
    }

    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        if *self == Private::default() {
            return Vec::new();
        }
        serde_json::to_vec(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_is_empty_when_there_is_nothing_to_do() {
        assert!(Private::default().to_bytes().is_empty());
        let private = Private {
            contract_tags_missing: true,
            pending_deregistration: vec!["arn:1".into()],
            supersede_pending: true,
            moved: true,
        };
        assert_eq!(Private::parse(&private.to_bytes()), private);
        assert_eq!(Private::parse(b"not json"), Private::default());
    }
}
