//! The tag contract put to work: which revision of a family is the template, how a template
//! revision stands, whether a live revision is in line with the latest template, and pruning of
//! ecstpl's own revisions. One implementation for the provider and the CLI.

use std::collections::BTreeMap;

use crate::aws::contract::{RESERVED_PREFIX, TAG_ROLE, TAG_TEMPLATE};
use crate::aws::{AwsError, Ecs, Revision, parse_task_definition_arn};

/// How an `ecstpl_template`'s revision stands in ECS.
#[derive(Debug)]
pub struct TemplateStatus {
    /// The revision with its tags; None when it is gone or no longer ACTIVE.
    pub revision: Option<Revision>,
    /// ACTIVE revisions of the family registered after it (by someone else: ecstpl supersedes
    /// its own), newest last.
    pub newer: Vec<String>,
}

/// What a prune did.
#[derive(Debug, Default)]
pub struct Pruned {
    pub deregistered: Vec<String>,
    /// Revisions that stayed ACTIVE because a call failed.
    pub failed: Vec<(String, AwsError)>,
}

/// Tags a user may set (ecstpl's contract tags left out).
pub fn user_tags(tags: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    tags.iter()
        .filter(|(key, _)| !key.starts_with(RESERVED_PREFIX))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl Revision {
    /// `family:revision` of the template this revision was rendered from: its
    /// `ecstpl:template` tag, or itself when it is a template revision (a service bootstrapped
    /// on the template).
    pub fn rendered_from(&self) -> Option<String> {
        self.tags
            .get(TAG_TEMPLATE)
            .cloned()
            .or_else(|| self.is_template().then(|| self.family_revision()))
    }

    /// The template family this revision names (from [`Revision::rendered_from`]).
    pub fn template_family(&self) -> Option<String> {
        self.rendered_from().map(|from| {
            from.rsplit_once(':')
                .map_or(from.clone(), |(family, _)| family.to_string())
        })
    }
}

/// Whether `live` was rendered from `latest`, the latest template revision.
pub fn in_sync(live: &Revision, latest: &Revision) -> bool {
    live.rendered_from().as_deref() == Some(latest.family_revision().as_str())
}

impl Ecs {
    /// The latest ACTIVE revision of `family` tagged `ecstpl:role=template`: a revision
    /// somebody registered into the template family by hand never becomes the template.
    pub async fn latest_template(&self, family: &str) -> Result<Option<Revision>, AwsError> {
        match &self.batches {
            Some(batches) => batches.template(self, family).await,
            None => self.latest_template_now(family).await,
        }
    }

    pub(super) async fn latest_template_now(
        &self,
        family: &str,
    ) -> Result<Option<Revision>, AwsError> {
        // One call when the family's newest ACTIVE revision is the template; else list.
        if let Some(latest) = self.newest_of_family(family).await?
            && latest.is_template()
            && latest.family() == family
        {
            return Ok(Some(latest));
        }
        let mut arns = self.list_revisions(family, true).await?;
        while let Some(arn) = arns.pop() {
            if let Some(revision) = self.describe_task_definition(&arn).await?
                && revision.is_active()
                && revision.is_template()
            {
                return Ok(Some(revision));
            }
        }
        Ok(None)
    }

    /// How the template revision `arn` of `family` stands. One call when it is the family's
    /// latest ACTIVE revision, as it is unless someone registered another one after it.
    pub async fn template_status(
        &self,
        arn: &str,
        family: &str,
    ) -> Result<TemplateStatus, AwsError> {
        let latest = self.describe_task_definition(family).await?;
        if let Some(latest) = &latest
            && latest.arn() == arn
            && latest.is_active()
        {
            return Ok(TemplateStatus {
                revision: Some(latest.clone()),
                newer: Vec::new(),
            });
        }
        let revision = self
            .describe_task_definition(arn)
            .await?
            .filter(Revision::is_active);
        let Some(ours) = &revision else {
            return Ok(TemplateStatus {
                revision: None,
                newer: Vec::new(),
            });
        };
        let newer = self
            .list_revisions(family, true)
            .await?
            .into_iter()
            .filter(|other| {
                parse_task_definition_arn(other).is_some_and(|(_, number)| number > ours.revision())
            })
            .collect();
        Ok(TemplateStatus { revision, newer })
    }

    /// Deregisters the ACTIVE revisions of `family` tagged `ecstpl:role=<role>` beyond the
    /// newest `keep`, never `except` and never a revision without that tag (it belongs to
    /// someone else).
    pub async fn prune(
        &self,
        family: &str,
        role: &str,
        keep: usize,
        except: &str,
    ) -> Result<Pruned, AwsError> {
        self.prune_except(family, role, keep, except, &[]).await
    }

    /// [`Ecs::prune`], and never any of `protected` either (the one a rollback returns to,
    /// say): those count towards `keep` among the newest, and stay when older.
    pub async fn prune_except(
        &self,
        family: &str,
        role: &str,
        keep: usize,
        except: &str,
        protected: &[&str],
    ) -> Result<Pruned, AwsError> {
        let mut arns = self.list_revisions(family, true).await?;
        arns.retain(|arn| arn != except);
        // Newest first; the newest `keep` of ecstpl's own stay.
        arns.reverse();
        let mut pruned = Pruned::default();
        let mut kept = 0;
        for arn in arns {
            let revision = match self.describe_task_definition(&arn).await {
                Ok(Some(revision)) => revision,
                Ok(None) => continue,
                Err(err) => {
                    pruned.failed.push((arn, err));
                    continue;
                }
            };
            let owned = revision.tags.get(TAG_ROLE).map(String::as_str) == Some(role);
            if !revision.is_active() || !owned {
                continue;
            }
            if kept < keep {
                kept += 1;
                continue;
            }
            if protected.contains(&arn.as_str()) {
                continue;
            }
            // Clean-up: it yields ECS's task definition modify rate to registrations.
            match self.deregister_superseded(&arn).await {
                Ok(()) => pruned.deregistered.push(arn),
                Err(err) => pruned.failed.push((arn, err)),
            }
        }
        Ok(pruned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn revision(family: &str, number: i64, tags: &[(&str, &str)]) -> Revision {
        Revision {
            task_definition: json!({
                "taskDefinitionArn": format!("arn:aws:ecs:us-east-1:1:task-definition/{family}:{number}"),
                "family": family, "revision": number, "status": "ACTIVE"
            })
            .as_object()
            .unwrap()
            .clone(),
            tags: tags.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        }
    }

    #[test]
    fn in_sync_compares_the_template_a_revision_names() {
        let template = revision("web-template", 3, &[("ecstpl:role", "template")]);
        let deployed = revision(
            "web",
            9,
            &[
                ("ecstpl:role", "deployed"),
                ("ecstpl:template", "web-template:3"),
            ],
        );
        let stale = revision(
            "web",
            8,
            &[
                ("ecstpl:role", "deployed"),
                ("ecstpl:template", "web-template:2"),
            ],
        );
        assert!(in_sync(&deployed, &template));
        assert!(!in_sync(&stale, &template));
        // A service bootstrapped on the template itself.
        assert!(in_sync(&template, &template));
        assert_eq!(deployed.template_family().as_deref(), Some("web-template"));
        let foreign = revision("web", 7, &[]);
        assert!(!in_sync(&foreign, &template));
        assert_eq!(foreign.template_family(), None);
    }

    #[test]
    fn user_tags_leave_the_contract_out() {
        let tags = BTreeMap::from([
            ("ecstpl:role".to_string(), "template".to_string()),
            ("team".to_string(), "web".to_string()),
        ]);
        assert_eq!(
            user_tags(&tags),
            BTreeMap::from([("team".to_string(), "web".to_string())])
        );
    }
}
