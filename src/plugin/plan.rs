//! Plan rules the protocol imposes, declared by a resource and applied here for every plan, as
//! terraform-plugin-framework's plan modifiers are: Terraform's proposal is the starting point;
//! semantically equal prior values are kept (allowed only where the config and the prior value
//! are both non-null, or the attribute is computed); an optional+computed attribute left out of
//! the config keeps a prior value that means the same as leaving it out; computed attributes
//! become unknown when the change makes a new object or a new version of it. The resource's own
//! plan code then holds only what is particular to it.
//!
//! And after apply: the new state must be wholly known and keep every value known in the plan,
//! or Terraform reports "Provider produced inconsistent result"; [`check_applied`] turns that
//! into the provider's own diagnostic, naming the attribute.

use crate::plugin::diag::Diagnostics;
use crate::plugin::path::{AttributePath, PathStep};
use crate::plugin::schema::{Block, Mode, Nesting};
use crate::plugin::value::Value;

/// A value an optional+computed attribute means when the configuration leaves it out.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Literal {
    Str(&'static str),
    Bool(bool),
}

impl Literal {
    fn matches(&self, value: &Value) -> bool {
        match self {
            Literal::Str(s) => value.as_str() == Some(*s),
            Literal::Bool(b) => value.as_bool() == Some(*b),
        }
    }
}

/// An optional+computed attribute (a path of attribute and block names, through nested blocks)
/// whose absence from the configuration means `means`: with a null config the prior value is
/// kept when it is null or `means`, and planned null otherwise (the user removed a real value).
#[derive(Clone, Copy, Debug)]
pub struct AbsentMeans {
    pub path: &'static [&'static str],
    pub means: Literal,
}

/// What a resource declares about its plans.
#[derive(Clone, Debug, Default)]
pub struct PlanRules {
    /// Top-level attributes whose change replaces the object.
    pub requires_replace: &'static [&'static str],
    /// Computed attributes that change with a replacement (besides [`Self::new_version`]'s).
    pub unknown_on_replace: &'static [&'static str],
    /// Computed attributes that change when an update makes a new version of the object (for
    /// immutable, versioned objects such as task definition revisions).
    pub unknown_on_new_version: &'static [&'static str],
    pub absent_means: &'static [AbsentMeans],
}

/// The semantics a resource gives its values, consulted by [`plan`].
pub trait Semantics {
    /// Whether two non-null values of the top-level attribute `attribute` mean the same, with
    /// `planned` the whole planned object for context.
    fn equivalent(&self, attribute: &str, planned: &Value, a: &Value, b: &Value) -> bool {
        let _ = (attribute, planned, a, b);
        false
    }

    /// Whether `planned` needs a new version of the object `prior` describes (for versioned
    /// objects; an update in place otherwise).
    fn needs_new_version(&self, planned: &Value, prior: &Value) -> bool {
        let _ = (planned, prior);
        false
    }
}

/// Semantics where only equal values are the same.
pub struct ExactValues;

impl Semantics for ExactValues {}

/// A plan produced by the rules, before the resource's own adjustments.
pub struct Planned {
    pub state: Value,
    pub requires_replace: Vec<AttributePath>,
    /// True when the plan makes a new version (or a new object).
    pub new_version: bool,
}

/// Applies `rules` to Terraform's proposal. `schema` is the resource's root block.
pub fn plan(
    schema: &Block,
    rules: &PlanRules,
    semantics: &dyn Semantics,
    prior: &Value,
    config: &Value,
    proposed: &Value,
) -> Planned {
    let mut planned = proposed.clone();
    if planned.is_null() {
        return Planned {
            state: planned,
            requires_replace: Vec::new(),
            new_version: false,
        };
    }
    if prior.is_null() {
        // Create: whatever the provider computes is unknown until apply, unless the resource
        // says otherwise afterwards.
        for attribute in &schema.attributes {
            if attribute.mode == Mode::Computed
                && planned.get_attr(&attribute.name).is_none_or(Value::is_null)
            {
                planned.set_attr(attribute.name.clone(), Value::unknown());
            }
        }
        return Planned {
            state: planned,
            requires_replace: Vec::new(),
            new_version: true,
        };
    }

    for rule in rules.absent_means {
        apply_absent_means(schema, rule.path, rule.means, prior, config, &mut planned);
    }
    for attribute in &schema.attributes {
        if !matches!(attribute.mode, Mode::Optional | Mode::OptionalComputed) {
            continue;
        }
        let (Some(wanted), Some(before)) = (
            config.get_attr(&attribute.name),
            prior.get_attr(&attribute.name),
        ) else {
            continue;
        };
        if wanted.is_null() || before.is_null() || !wanted.is_wholly_known() || wanted == before {
            continue;
        }
        if semantics.equivalent(&attribute.name, &planned, wanted, before) {
            // Allowed: the config and the prior value are both non-null.
            planned.set_attr(attribute.name.clone(), before.clone());
        }
    }

    let requires_replace: Vec<AttributePath> = rules
        .requires_replace
        .iter()
        .filter(|name| planned.get_attr(name) != prior.get_attr(name))
        .map(|name| AttributePath::root(*name))
        .collect();
    let replace = !requires_replace.is_empty();
    let new_version = replace || semantics.needs_new_version(&planned, prior);
    if new_version {
        for name in rules.unknown_on_new_version {
            planned.set_attr(*name, Value::unknown());
        }
    }
    if replace {
        for name in rules.unknown_on_replace {
            planned.set_attr(*name, Value::unknown());
        }
    }
    Planned {
        state: planned,
        requires_replace,
        new_version,
    }
}

fn apply_absent_means(
    block: &Block,
    path: &[&str],
    means: Literal,
    prior: &Value,
    config: &Value,
    planned: &mut Value,
) {
    let Some((first, rest)) = path.split_first() else {
        return;
    };
    if rest.is_empty() {
        if !config.get_attr(first).is_none_or(Value::is_null) {
            return;
        }
        let keep = prior
            .get_attr(first)
            .filter(|v| !v.is_null() && means.matches(v))
            .cloned();
        planned.set_attr(*first, keep.unwrap_or(Value::Null));
        return;
    }
    let Some(nested) = block.blocks.iter().find(|b| b.name == *first) else {
        return;
    };
    let (Some(config_inner), Some(prior_inner)) = (config.get_attr(first), prior.get_attr(first))
    else {
        return;
    };
    let Some(planned_inner) = planned.get_attr_mut(first) else {
        return;
    };
    match nested.nesting {
        Nesting::Single => {
            if config_inner.is_null() || prior_inner.is_null() || planned_inner.is_null() {
                return;
            }
            apply_absent_means(
                &nested.block,
                rest,
                means,
                prior_inner,
                config_inner,
                planned_inner,
            );
        }
        // Terraform correlates list blocks by index; sets have no stable correlation.
        Nesting::List => {
            let (Some(configs), Some(priors)) =
                (config_inner.as_elements(), prior_inner.as_elements())
            else {
                return;
            };
            let Value::List(planned_items) = planned_inner else {
                return;
            };
            for (index, item) in planned_items.iter_mut().enumerate() {
                if let (Some(c), Some(p)) = (configs.get(index), priors.get(index)) {
                    apply_absent_means(&nested.block, rest, means, p, c, item);
                }
            }
        }
        Nesting::Set => {}
    }
}

/// Checks an applied state against its plan: wholly known, and every value known in the plan
/// kept. Unknowns are replaced by null in `new_state` so it can still be stored with the error.
pub fn check_applied(planned: &Value, new_state: &mut Value) -> Diagnostics {
    let mut diags = Diagnostics::new();
    if new_state.is_null() {
        return diags;
    }
    let mut path = AttributePath::new();
    compare(planned, new_state, &mut path, &mut diags);
    diags
}

fn compare(planned: &Value, actual: &mut Value, path: &mut AttributePath, diags: &mut Diagnostics) {
    if actual.is_unknown() {
        diags.error_at(
            path.clone(),
            "Provider left a value unknown after apply",
            format!("{path} is still unknown after apply. This is a bug in the provider; the value is stored as null."),
        );
        *actual = Value::Null;
        return;
    }
    if planned.is_unknown() {
        // Anything known may replace an unknown; only unknowns left inside remain to check.
        clear_unknowns(actual, path, diags);
        return;
    }
    match (planned, &mut *actual) {
        (Value::Object(p), Value::Object(a)) => {
            for (name, value) in a.iter_mut() {
                let planned_value = p.get(name).cloned().unwrap_or(Value::Null);
                path.push(PathStep::Attribute(name.clone()));
                compare(&planned_value, value, path, diags);
                path.steps.pop();
            }
        }
        (Value::List(p), Value::List(a)) | (Value::Tuple(p), Value::Tuple(a))
            if p.len() == a.len() =>
        {
            for (index, (pv, av)) in p.iter().zip(a.iter_mut()).enumerate() {
                path.push(PathStep::ElementKeyInt(index as i64));
                compare(pv, av, path, diags);
                path.steps.pop();
            }
        }
        (Value::Map(p), Value::Map(a)) if p.len() == a.len() => {
            for (key, av) in a.iter_mut() {
                let pv = p.get(key).cloned().unwrap_or(Value::Null);
                path.push(PathStep::ElementKeyString(key.clone()));
                compare(&pv, av, path, diags);
                path.steps.pop();
            }
        }
        (p, a) => {
            if p.is_wholly_known() && a.is_wholly_known() && p != a {
                diags.error_at(
                    path.clone(),
                    "Provider changed a planned value during apply",
                    format!("{path} was planned as {p:?} but apply produced {a:?}. This is a bug in the provider; please report it."),
                );
            } else if !a.is_wholly_known() {
                clear_unknowns(a, path, diags);
            }
        }
    }
}

/// Reports every unknown inside `actual` and replaces it by null.
fn clear_unknowns(actual: &mut Value, path: &mut AttributePath, diags: &mut Diagnostics) {
    match actual {
        Value::Unknown(_) => {
            diags.error_at(
                path.clone(),
                "Provider left a value unknown after apply",
                format!("{path} is still unknown after apply. This is a bug in the provider; the value is stored as null."),
            );
            *actual = Value::Null;
        }
        Value::Object(items) | Value::Map(items) => {
            for (key, value) in items.iter_mut() {
                path.push(PathStep::Attribute(key.clone()));
                clear_unknowns(value, path, diags);
                path.steps.pop();
            }
        }
        Value::List(items) | Value::Set(items) | Value::Tuple(items) => {
            for (index, value) in items.iter_mut().enumerate() {
                path.push(PathStep::ElementKeyInt(index as i64));
                clear_unknowns(value, path, diags);
                path.steps.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::{Attribute, NestedBlock};
    use crate::plugin::value::Type;

    fn schema() -> Block {
        Block {
            attributes: vec![
                Attribute::new("name", Type::String, Mode::Required, ""),
                Attribute::new("body", Type::String, Mode::Optional, ""),
                Attribute::new("mode", Type::String, Mode::OptionalComputed, ""),
                Attribute::new("version", Type::Number, Mode::Computed, ""),
                Attribute::new("label", Type::String, Mode::Optional, ""),
            ],
            blocks: vec![NestedBlock::new(
                "disk",
                Nesting::List,
                Block {
                    attributes: vec![Attribute::new(
                        "root",
                        Type::String,
                        Mode::OptionalComputed,
                        "",
                    )],
                    ..Block::default()
                },
            )],
            ..Block::default()
        }
    }

    const RULES: PlanRules = PlanRules {
        requires_replace: &["name"],
        unknown_on_replace: &[],
        unknown_on_new_version: &["version"],
        absent_means: &[
            AbsentMeans {
                path: &["mode"],
                means: Literal::Str("bridge"),
            },
            AbsentMeans {
                path: &["disk", "root"],
                means: Literal::Str("/"),
            },
        ],
    };

    /// Bodies equal ignoring case; a new version unless only `label` changed.
    struct CaseInsensitive;
    impl Semantics for CaseInsensitive {
        fn equivalent(&self, attribute: &str, _: &Value, a: &Value, b: &Value) -> bool {
            attribute == "body"
                && a.as_str().map(str::to_lowercase) == b.as_str().map(str::to_lowercase)
        }
        fn needs_new_version(&self, planned: &Value, prior: &Value) -> bool {
            ["name", "body", "mode", "disk"]
                .iter()
                .any(|a| planned.get_attr(a) != prior.get_attr(a))
        }
    }

    fn object(pairs: Vec<(&str, Value)>) -> Value {
        Value::object(pairs)
    }

    fn disk(root: Value) -> Value {
        Value::List(vec![object(vec![("root", root)])])
    }

    fn prior() -> Value {
        object(vec![
            ("name", Value::from("web")),
            ("body", Value::from("HELLO")),
            ("mode", Value::from("bridge")),
            ("version", Value::from(3)),
            ("label", Value::Null),
            ("disk", disk(Value::from("/"))),
        ])
    }

    fn run(config: &Value, proposed: &Value) -> Planned {
        plan(
            &schema(),
            &RULES,
            &CaseInsensitive,
            &prior(),
            config,
            proposed,
        )
    }

    #[test]
    fn equivalent_text_and_meaningful_absence_plan_no_change() {
        // As after an import: ECS said "bridge" and "/", the user wrote neither, and the body
        // in another case.
        let config = object(vec![
            ("name", Value::from("web")),
            ("body", Value::from("hello")),
            ("mode", Value::Null),
            ("version", Value::Null),
            ("label", Value::Null),
            ("disk", disk(Value::Null)),
        ]);
        let mut proposed = config.clone();
        // Terraform proposes the prior value for computed attributes the config leaves out.
        proposed.set_attr("mode", Value::from("bridge"));
        proposed.set_attr("version", Value::from(3));
        proposed.set_attr("disk", disk(Value::from("/")));
        let planned = run(&config, &proposed);
        assert_eq!(planned.state, prior());
        assert!(!planned.new_version);
        assert!(planned.requires_replace.is_empty());
    }

    #[test]
    fn a_removed_real_value_is_planned_null_and_makes_a_new_version() {
        let mut old = prior();
        old.set_attr("mode", Value::from("awsvpc"));
        let config = object(vec![
            ("name", Value::from("web")),
            ("body", Value::from("HELLO")),
            ("mode", Value::Null),
            ("version", Value::Null),
            ("label", Value::Null),
            ("disk", disk(Value::Null)),
        ]);
        let mut proposed = old.clone();
        proposed.set_attr("mode", Value::from("awsvpc"));
        let planned = plan(
            &schema(),
            &RULES,
            &CaseInsensitive,
            &old,
            &config,
            &proposed,
        );
        assert_eq!(planned.state.get_attr("mode"), Some(&Value::Null));
        assert!(planned.new_version);
        assert!(
            planned
                .state
                .get_attr("version")
                .is_some_and(Value::is_unknown)
        );
    }

    #[test]
    fn a_label_change_is_in_place_and_a_name_change_replaces() {
        let mut config = prior();
        config.set_attr("label", Value::from("x"));
        let planned = run(&config, &config);
        assert!(!planned.new_version);
        assert_eq!(planned.state.get_attr("version"), Some(&Value::from(3)));

        let mut config = prior();
        config.set_attr("name", Value::from("api"));
        let planned = run(&config, &config);
        assert!(planned.new_version);
        assert_eq!(planned.requires_replace, vec![AttributePath::root("name")]);
    }

    #[test]
    fn create_marks_computed_attributes_unknown() {
        let config = object(vec![
            ("name", Value::from("web")),
            ("body", Value::from("x")),
            ("mode", Value::Null),
            ("version", Value::Null),
            ("label", Value::Null),
            ("disk", Value::List(vec![])),
        ]);
        let planned = plan(
            &schema(),
            &RULES,
            &CaseInsensitive,
            &Value::Null,
            &config,
            &config,
        );
        assert!(
            planned
                .state
                .get_attr("version")
                .is_some_and(Value::is_unknown)
        );
        // Optional+computed attributes the user left out stay null: nothing is read back.
        assert_eq!(planned.state.get_attr("mode"), Some(&Value::Null));
    }

    #[test]
    fn applied_state_is_checked_against_the_plan() {
        let mut planned = prior();
        planned.set_attr("version", Value::unknown());
        let mut applied = prior();
        applied.set_attr("version", Value::from(4));
        assert!(check_applied(&planned, &mut applied).is_empty());

        let mut changed = applied.clone();
        changed.set_attr("body", Value::from("other"));
        let diags = check_applied(&planned, &mut changed);
        assert!(diags.has_errors());
        assert_eq!(diags.0[0].path, Some(AttributePath::root("body")));

        let mut left_unknown = prior();
        left_unknown.set_attr("version", Value::unknown());
        let diags = check_applied(&planned, &mut left_unknown);
        assert!(diags.has_errors());
        assert_eq!(left_unknown.get_attr("version"), Some(&Value::Null));
    }
}
