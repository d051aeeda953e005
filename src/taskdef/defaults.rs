//! What ECS takes a field to be when it is left out: the one table of those defaults. The
//! normalizer compares with it (a value equal to its default is the same as none), and the
//! provider's plan rules (`ABSENT_MEANS` in `provider/template/schema.rs`) are checked against
//! it, so the two cannot drift apart. Paths are in the ECS API's names, list levels skipped
//! (`volumes` then the volume's own keys). Sources: the rules table, [`crate::taskdef::rules`]
//! (rule ids beside each entry), which cites the ECS API reference.

/// A default value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DefaultValue {
    Str(&'static str),
    Bool(bool),
    Int(i64),
}

impl DefaultValue {
    /// True when `value` is this default.
    pub fn matches(self, value: &serde_json::Value) -> bool {
        match self {
            DefaultValue::Str(s) => value.as_str() == Some(s),
            DefaultValue::Bool(b) => value.as_bool() == Some(b),
            DefaultValue::Int(n) => value.as_i64() == Some(n),
        }
    }

    pub fn to_json(self) -> serde_json::Value {
        match self {
            DefaultValue::Str(s) => s.into(),
            DefaultValue::Bool(b) => b.into(),
            DefaultValue::Int(n) => n.into(),
        }
    }
}

/// One default: the field, and what its absence means.
#[derive(Clone, Copy, Debug)]
pub struct FieldDefault {
    pub path: &'static [&'static str],
    pub means: DefaultValue,
    /// The id of the rule in [`crate::taskdef::rules::RULES`] with the evidence, or "" where
    /// the API reference alone documents the default (DockerVolumeConfiguration.autoprovision:
    /// "by default, false").
    pub rule: &'static str,
}

const fn default(
    rule: &'static str,
    path: &'static [&'static str],
    means: DefaultValue,
) -> FieldDefault {
    FieldDefault { path, means, rule }
}

use DefaultValue::{Bool, Int, Str};

/// Task-level defaults (containers aside).
pub const TASK_DEFAULTS: &[FieldDefault] = &[
    default("T3", &["networkMode"], Str("bridge")),
    default("T5", &["enableFaultInjection"], Bool(false)),
    default("T7", &["volumes", "configuredAtLaunch"], Bool(false)),
    default(
        "T6",
        &["volumes", "efsVolumeConfiguration", "rootDirectory"],
        Str("/"),
    ),
    default(
        "T10",
        &["volumes", "efsVolumeConfiguration", "transitEncryption"],
        Str("DISABLED"),
    ),
    default(
        "T10",
        &[
            "volumes",
            "efsVolumeConfiguration",
            "authorizationConfig",
            "iam",
        ],
        Str("DISABLED"),
    ),
    default(
        "T9",
        &["volumes", "dockerVolumeConfiguration", "scope"],
        Str("task"),
    ),
    default(
        "T9",
        &["volumes", "dockerVolumeConfiguration", "driver"],
        Str("local"),
    ),
    default(
        "",
        &["volumes", "dockerVolumeConfiguration", "autoprovision"],
        Bool(false),
    ),
    default("T11", &["proxyConfiguration", "type"], Str("APPMESH")),
];

/// Container-level defaults, paths inside one container definition.
pub const CONTAINER_DEFAULTS: &[FieldDefault] = &[
    default("C1", &["essential"], Bool(true)),
    default("C9", &["portMappings", "protocol"], Str("tcp")),
    default("C13", &["healthCheck", "interval"], Int(30)),
    default("C13", &["healthCheck", "timeout"], Int(5)),
    default("C13", &["healthCheck", "retries"], Int(3)),
    default("C19", &["versionConsistency"], Str("enabled")),
];

/// The defaults of the fields directly under `parent` (a path of `table`'s kind): the field
/// name and its default.
pub fn defaults_under(
    table: &'static [FieldDefault],
    parent: &[&str],
) -> impl Iterator<Item = (&'static str, DefaultValue)> {
    let parent: Vec<String> = parent.iter().map(|s| (*s).to_string()).collect();
    table.iter().filter_map(move |d| {
        let (last, head) = d.path.split_last()?;
        (head.len() == parent.len() && head.iter().zip(&parent).all(|(a, b)| a == b))
            .then_some((*last, d.means))
    })
}

/// The default of one field, by its full path.
pub fn default_of(table: &[FieldDefault], path: &[&str]) -> Option<DefaultValue> {
    table.iter().find(|d| d.path == path).map(|d| d.means)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::taskdef::rules::RULES;

    /// Each default names the rule with its evidence, and that rule is about the field and
    /// shows the same value.
    #[test]
    fn defaults_agree_with_the_rules_they_come_from() {
        for default in TASK_DEFAULTS.iter().chain(CONTAINER_DEFAULTS) {
            if default.rule.is_empty() {
                continue;
            }
            let rule = RULES.iter().find(|r| r.id == default.rule);
            let rule = rule.unwrap_or_else(|| panic!("no rule {}", default.rule));
            let field = default.path.last().copied().unwrap_or_default();
            let value = match default.means {
                Str(s) => s.to_string(),
                Bool(b) => b.to_string(),
                Int(n) => n.to_string(),
            };
            let text = format!(
                "{} {} {} {}",
                rule.field, rule.user_sends, rule.ecs_stores, rule.example_stored
            );
            assert!(text.contains(field), "{} is not about {field}", rule.id);
            assert!(text.contains(&value), "{} does not show {value}", rule.id);
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(
            default_of(TASK_DEFAULTS, &["networkMode"]),
            Some(Str("bridge"))
        );
        let health: Vec<_> = defaults_under(CONTAINER_DEFAULTS, &["healthCheck"]).collect();
        assert_eq!(
            health,
            [
                ("interval", Int(30)),
                ("timeout", Int(5)),
                ("retries", Int(3))
            ]
        );
    }
}
