//! Diagnostics: how a provider tells Terraform about problems. User errors travel here, with
//! the attribute path, never as gRPC errors (those reach the user as a bare "Plugin error").

use crate::plugin::path::AttributePath;
use crate::plugin::proto::tfplugin6 as pb;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, optionally tied to an attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub path: Option<AttributePath>,
}

/// An ordered list of diagnostics, as every response carries.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    /// An error not tied to an attribute.
    pub fn error(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Error, summary, detail, None);
    }

    /// An error on the attribute at `path`.
    pub fn error_at(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Error, summary, detail, Some(path));
    }

    pub fn warning(&mut self, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Severity::Warning, summary, detail, None);
    }

    pub fn warning_at(
        &mut self,
        path: AttributePath,
        summary: impl Into<String>,
        detail: impl Into<String>,
    ) {
        self.push(Severity::Warning, summary, detail, Some(path));
    }

    fn push(
        &mut self,
        severity: Severity,
        summary: impl Into<String>,
        detail: impl Into<String>,
        path: Option<AttributePath>,
    ) {
        self.0.push(Diagnostic {
            severity,
            summary: summary.into(),
            detail: detail.into(),
            path,
        });
    }

    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }

    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A single error, for early returns.
    pub fn single_error(summary: impl Into<String>, detail: impl Into<String>) -> Self {
        let mut diags = Self::new();
        diags.error(summary, detail);
        diags
    }

    pub fn to_proto(&self) -> Vec<pb::Diagnostic> {
        self.0.iter().map(Diagnostic::to_proto).collect()
    }
}

impl Diagnostic {
    fn to_proto(&self) -> pb::Diagnostic {
        pb::Diagnostic {
            severity: match self.severity {
                Severity::Error => pb::diagnostic::Severity::Error,
                Severity::Warning => pb::diagnostic::Severity::Warning,
            } as i32,
            summary: self.summary.clone(),
            detail: self.detail.clone(),
            attribute: self
                .path
                .as_ref()
                .filter(|p| !p.is_empty())
                .map(pb::AttributePath::from),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_carry_their_attribute_path_to_the_wire() {
        let mut diags = Diagnostics::new();
        diags.warning("just so you know", "");
        assert!(!diags.has_errors());
        diags.error_at(
            AttributePath::root("container_definitions").index(0),
            "Missing image",
            "container 0 has no image",
        );
        assert!(diags.has_errors());
        let wire = diags.to_proto();
        assert_eq!(wire.len(), 2);
        assert_eq!(wire[0].severity, pb::diagnostic::Severity::Warning as i32);
        assert!(wire[0].attribute.is_none());
        let steps = &wire[1].attribute.as_ref().unwrap().steps;
        assert_eq!(steps.len(), 2);
    }
}
