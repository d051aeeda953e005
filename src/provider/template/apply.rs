//! Apply for `ecstpl_template`: register a new revision (create, or an update that changes the
//! revision), re-tag the current one (an update of tags or `deploy_family` only), deregister on
//! destroy. After an update, superseded template revisions are deregistered by the policy.

use std::collections::BTreeMap;

use crate::aws::{self, AwsError, Ecs, Revision};
use crate::plugin::diag::Diagnostics;
use crate::plugin::framework::{ApplyRequest, ApplyResponse};
use crate::plugin::path::AttributePath;
use crate::plugin::value::Value;
use crate::provider::template::attrs::*;
use crate::provider::template::plan::planned_tags_all;
use crate::provider::template::private::Private;
use crate::provider::template::read::set_identity;
use crate::provider::template::request;
use crate::provider::values;

pub(crate) async fn apply(
    ecs: &Ecs,
    request: ApplyRequest,
    default_tags: Option<BTreeMap<String, String>>,
) -> ApplyResponse {
    let mut response = ApplyResponse {
        new_state: request.prior_state.clone(),
        private: Vec::new(),
        diagnostics: Diagnostics::new(),
    };
    let prior = &request.prior_state;
    let planned = &request.planned_state;
    if planned.is_null() {
        delete(ecs, prior, &mut response.diagnostics).await;
        if !response.diagnostics.has_errors() {
            response.new_state = Value::Null;
        }
        return response;
    }
    let mut planned = planned.clone();
    if values::is_unknown(&planned, TAGS_ALL) {
        // Planned unknown to tag a revision that lacks the contract tags; known by now.
        planned.set_attr(
            TAGS_ALL,
            planned_tags_all(&request.config, default_tags.as_ref()),
        );
    }
    let planned = &planned;
    let mut private = Private::parse(&request.planned_private);
    response.private = request.planned_private.clone();
    // The configuration's order of blocks is in state from now on.
    private.moved = false;
    let registers = prior.is_null() || values::is_unknown(planned, ARN);
    let mut state = if registers {
        match register(ecs, planned).await {
            Ok(revision) => {
                let mut state = planned.clone();
                set_identity(&mut state, &revision);
                private.contract_tags_missing = false;
                if !prior.is_null() {
                    let (mut failed, listed) =
                        supersede(ecs, planned, revision.arn(), &mut response.diagnostics).await;
                    let earlier = std::mem::take(&mut private.pending_deregistration);
                    failed.extend(retry_pending(ecs, earlier, &mut response.diagnostics).await);
                    private.pending_deregistration = failed;
                    private.supersede_pending = !listed;
                }
                state
            }
            Err(diags) => {
                response.diagnostics.extend(diags);
                return response;
            }
        }
    } else {
        match retag(ecs, prior, planned, private.contract_tags_missing).await {
            Ok(()) => {
                private.contract_tags_missing = false;
                let earlier = std::mem::take(&mut private.pending_deregistration);
                let mut left = retry_pending(ecs, earlier, &mut response.diagnostics).await;
                if private.supersede_pending
                    && let Some(arn) = values::string(prior, ARN)
                {
                    let (failed, listed) =
                        supersede(ecs, planned, &arn, &mut response.diagnostics).await;
                    left.extend(failed);
                    private.supersede_pending = !listed;
                }
                private.pending_deregistration = left;
                planned.clone()
            }
            Err(diags) => {
                response.diagnostics.extend(diags);
                return response;
            }
        }
    };
    private.pending_deregistration.sort();
    private.pending_deregistration.dedup();
    // Planned unknown when a retry was due (or on create): what is left is known now. When it
    // was planned known, a clean-up that failed in this apply stays in private state and the
    // next plan shows the retry.
    if state
        .get_attr(PENDING_DEREGISTRATION)
        .is_none_or(Value::is_unknown)
    {
        state.set_attr(
            PENDING_DEREGISTRATION,
            Value::List(
                private
                    .pending_deregistration
                    .iter()
                    .cloned()
                    .map(Value::String)
                    .collect(),
            ),
        );
    }
    response.new_state = state;
    response.private = private.to_bytes();
    response
}

async fn register(ecs: &Ecs, planned: &Value) -> Result<Revision, Diagnostics> {
    let input = request::register_input(planned).map_err(|unreadable| {
        let mut diags = Diagnostics::new();
        diags.error_at(
            AttributePath::root(unreadable.attribute),
            unreadable.problem.summary,
            unreadable.problem.detail,
        );
        diags
    })?;
    // A registration an interrupted run left behind (Terraform killed mid-apply) is adopted
    // rather than registered a second time.
    match ecs.find_twin(&input).await {
        Ok(Some(twin)) => {
            tracing::info!(arn = %twin.arn(), "adopting a template revision an earlier run registered");
            return Ok(twin);
        }
        Ok(None) => {}
        // Nothing answers: a registration would wait out its own attempts for nothing.
        Err(err @ AwsError::Unanswered { .. }) => {
            return Err(Diagnostics::single_error(
                "Could not register the template revision",
                err.to_string(),
            ));
        }
        Err(err) => tracing::info!(%err, "could not look for an earlier registration"),
    }
    let revision = ecs.register_task_definition(&input).await.map_err(|err| {
        Diagnostics::single_error("Could not register the template revision", err.to_string())
    })?;
    tracing::info!(arn = %revision.arn(), "registered template revision");
    Ok(revision)
}

/// After an update registered `new_arn`, superseded template revisions of the family are
/// deregistered (all but the newest `keep_superseded_revisions`), but only ecstpl's own
/// template revisions: never one somebody else registered into the family. Returns those that
/// stayed ACTIVE because a call failed, and whether the family could be listed at all (both
/// kept for the next apply to retry).
async fn supersede(
    ecs: &Ecs,
    planned: &Value,
    new_arn: &str,
    diags: &mut Diagnostics,
) -> (Vec<String>, bool) {
    if values::boolean(planned, DEREGISTER_SUPERSEDED) == Some(false) {
        return (Vec::new(), true);
    }
    let keep = values::integer(planned, KEEP_SUPERSEDED_REVISIONS)
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(0);
    let family = values::string(planned, FAMILY).unwrap_or_default();
    match ecs
        .prune(&family, aws::contract::ROLE_TEMPLATE, keep, new_arn)
        .await
    {
        Ok(pruned) => (
            pruned
                .failed
                .into_iter()
                .map(|(arn, err)| {
                    diags.warning(
                        "Could not deregister a superseded template revision",
                        format!("{arn} stays ACTIVE for now: {err}. The next apply retries it (pending_deregistration)."),
                    );
                    arn
                })
                .collect(),
            true,
        ),
        Err(err) => {
            diags.warning(
                "Could not list superseded template revisions",
                format!("They stay ACTIVE for now: {err}. The next apply looks again (pending_deregistration)."),
            );
            (Vec::new(), false)
        }
    }
}

/// Deregisters what an earlier apply could not; returns what is still pending.
async fn retry_pending(ecs: &Ecs, pending: Vec<String>, diags: &mut Diagnostics) -> Vec<String> {
    let mut left = Vec::new();
    for arn in pending {
        let result = match ecs.describe_task_definition(&arn).await {
            Ok(Some(revision)) if revision.is_active() && revision.is_template() => {
                ecs.deregister_superseded(&arn).await
            }
            Ok(_) => Ok(()),
            Err(err) => Err(err),
        };
        if let Err(err) = result {
            diags.warning(
                "Could not deregister a superseded template revision",
                format!("{arn} stays ACTIVE for now: {err}. The next apply retries it (pending_deregistration)."),
            );
            left.push(arn);
        }
    }
    left
}

/// Brings the revision's tags from what `prior` says to what `planned` says; `untagged` when
/// the revision lacks the contract tags whatever `prior` says.
async fn retag(
    ecs: &Ecs,
    prior: &Value,
    planned: &Value,
    untagged: bool,
) -> Result<(), Diagnostics> {
    let Some(arn) = values::string(prior, ARN) else {
        return Ok(());
    };
    let old = if untagged {
        BTreeMap::new()
    } else {
        request::revision_tags(prior)
    };
    let new = request::revision_tags(planned);
    let removed: Vec<String> = old
        .keys()
        .filter(|k| !new.contains_key(*k))
        .cloned()
        .collect();
    let changed: BTreeMap<String, String> = new
        .into_iter()
        .filter(|(k, v)| old.get(k) != Some(v))
        .collect();
    let fail = |err: aws::AwsError| {
        Diagnostics::single_error(
            "Could not update the template revision's tags",
            err.to_string(),
        )
    };
    if !removed.is_empty() {
        ecs.untag_resource(&arn, &removed).await.map_err(fail)?;
    }
    if !changed.is_empty() {
        ecs.tag_resource(&arn, &changed).await.map_err(fail)?;
    }
    Ok(())
}

/// Destroy: every template revision the resource owns goes INACTIVE, not only the current one.
/// A superseded revision kept by `keep_superseded_revisions` (or left in
/// `pending_deregistration`, which is always of the same family) would otherwise stay ACTIVE and tagged, and `ecstpl deploy` would
/// take it for the template of a family Terraform no longer manages. Only ecstpl's own template
/// revisions are deregistered; the current one goes last, so a failure leaves the resource in
/// state (its revision still ACTIVE) and the next destroy finishes the job.
async fn delete(ecs: &Ecs, prior: &Value, diags: &mut Diagnostics) {
    let Some(arn) = values::string(prior, ARN) else {
        return;
    };
    if values::boolean(prior, SKIP_DESTROY) == Some(true) {
        tracing::info!(%arn, "skip_destroy: leaving the template revisions registered");
        return;
    }
    let family = values::string(prior, FAMILY).unwrap_or_default();
    match ecs
        .prune(&family, aws::contract::ROLE_TEMPLATE, 0, &arn)
        .await
    {
        Ok(pruned) => {
            for (superseded, err) in &pruned.failed {
                diags.error(
                    "Could not deregister a superseded template revision",
                    format!("{superseded} stays ACTIVE: {err}. Run the destroy again."),
                );
            }
            for deregistered in &pruned.deregistered {
                tracing::info!(arn = %deregistered, "deregistered a superseded template revision");
            }
        }
        Err(err) => diags.error(
            "Could not list the family's template revisions",
            format!("Nothing was deregistered: {err}. Run the destroy again."),
        ),
    }
    if diags.has_errors() {
        return;
    }
    match ecs.describe_task_definition(&arn).await {
        Ok(Some(revision)) if revision.is_active() => {
            if let Err(err) = ecs.deregister_task_definition(&arn).await {
                diags.error(
                    "Could not deregister the template revision",
                    err.to_string(),
                );
            }
        }
        Ok(_) => {}
        Err(err) => diags.error("Could not look up the template revision", err.to_string()),
    }
}
