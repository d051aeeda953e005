//! Checks what a rendered task definition's tasks will need at run time before anything is
//! registered: every reference the domain finds ([`crate::taskdef::references`]) asked of the
//! service that holds it. A finding names the field path and the missing thing.

use serde_json::{Map, Value as Json, json};

use crate::aws::{Check, Verifier};
use crate::rollout::RolloutError;
use crate::taskdef::{ReferenceKind, references};

/// One reference and its answer.
#[derive(Clone, Debug)]
pub struct Finding {
    pub path: String,
    pub check: Check,
}

impl Finding {
    pub fn json(&self) -> Json {
        let (status, message) = match &self.check {
            Check::Found(m) => ("found", m),
            Check::Missing(m) => ("missing", m),
            Check::NotChecked(m) => ("not checked", m),
        };
        json!({"path": self.path, "status": status, "message": message})
    }

    /// `✓ path: …`, `✗ path: …` or `? path: not checked: …`.
    pub fn line(&self) -> String {
        match &self.check {
            Check::Found(m) => format!("✓ {}: {m}", self.path),
            Check::Missing(m) => format!("✗ {}: {m}", self.path),
            Check::NotChecked(m) => format!("? {}: not checked: {m}", self.path),
        }
    }
}

/// The findings that fail a verification: what is missing, and with `strict` what could not
/// be checked.
pub fn failures(findings: &[Finding], strict: bool) -> Vec<&Finding> {
    findings
        .iter()
        .filter(|f| match f.check {
            Check::Missing(_) => true,
            Check::NotChecked(_) => strict,
            Check::Found(_) => false,
        })
        .collect()
}

/// Why `findings` fail a verification (None: they do not): how many failed, what
/// `consequence` says was done about it, then each failing finding on its own line.
pub fn failure_message(findings: &[Finding], strict: bool, consequence: &str) -> Option<String> {
    let failing = failures(findings, strict);
    if failing.is_empty() {
        return None;
    }
    let lines: Vec<String> = failing.iter().map(|f| f.line()).collect();
    Some(format!(
        "{} of {} run-time references {}; {consequence}:\n  {}",
        failing.len(),
        findings.len(),
        if strict {
            "are missing or could not be checked"
        } else {
            "are missing"
        },
        lines.join("\n  ")
    ))
}

/// Asks about every run-time reference of `definition`, in field order.
pub(crate) async fn verify(
    verifier: &Verifier,
    definition: &Map<String, Json>,
) -> Result<Vec<Finding>, RolloutError> {
    let mut findings = Vec::new();
    for reference in references(definition) {
        let check = match &reference.kind {
            ReferenceKind::Role { arn } => verifier.role(arn).await?,
            ReferenceKind::EcrImage {
                registry,
                region,
                repository,
                tag,
                digest,
            } => {
                verifier
                    .ecr_image(
                        registry,
                        region,
                        repository,
                        tag.as_deref(),
                        digest.as_deref(),
                    )
                    .await?
            }
            ReferenceKind::Parameter {
                name, arn, region, ..
            } => {
                verifier
                    .parameter(name, arn.as_deref().unwrap_or(name), region.as_deref())
                    .await?
            }
            ReferenceKind::Secret {
                arn,
                region,
                version_stage,
                version_id,
            } => {
                verifier
                    .secret(arn, region, version_stage.as_deref(), version_id.as_deref())
                    .await?
            }
            ReferenceKind::LogGroup { name, region } => {
                verifier.log_group(name, region.as_deref()).await?
            }
        };
        findings.push(Finding {
            path: reference.path,
            check,
        });
    }
    Ok(findings)
}
