//! The schema of `ecstpl_template` and the plan rules that go with it.

use std::sync::LazyLock;

use crate::plugin::plan::{AbsentMeans, Literal, PlanRules};
use crate::plugin::schema::{Attribute, Block, Mode, Schema};
use crate::plugin::value::Type;
use crate::provider::task_blocks;
use crate::provider::template::attrs::*;

/// The state schema version this provider writes.
pub(crate) const VERSION: i64 = 0;

/// The type of a state, built once: every instance's upgrade and import decode with it.
pub(crate) fn value_type() -> &'static Type {
    static VALUE_TYPE: LazyLock<Type> = LazyLock::new(|| schema().value_type());
    &VALUE_TYPE
}

pub(crate) fn schema() -> Schema {
    let attribute = |name: &str, ty: Type, mode: Mode, description: &str| {
        Attribute::new(name, ty, mode, description)
    };
    let optional =
        |name: &str, ty: Type, description: &str| attribute(name, ty, Mode::Optional, description);
    let computed =
        |name: &str, ty: Type, description: &str| attribute(name, ty, Mode::Computed, description);
    Schema {
        version: VERSION,
        block: Block {
            description: "The template revision of an ECS task definition: every piece of \
                infrastructure configuration, with placeholder images. `ecstpl deploy` reads it \
                from AWS, injects the images CI built and registers revisions in the deploy family. \
                A change registers a new template revision in place. A revision is immutable, so \
                a refresh checks only that it is still ACTIVE and reads its tags: a plan after \
                apply is clean whatever ECS adds to the stored revision."
                .into(),
            attributes: vec![
                computed(ID, Type::String, "The family name."),
                attribute(FAMILY, Type::String, Mode::Required,
                    "Task definition family of the template, e.g. `web-template`. Changing it replaces the resource."),
                optional(CONTAINER_DEFINITIONS, Type::String,
                    "Container definitions as a JSON array, as in `aws_ecs_task_definition` (use `jsonencode`). Compared semantically: the defaults ECS adds and the reorderings it makes (listed in the ECS rewrites guide) never show as changes. Required unless `task_definition` is given."),
                optional(TASK_DEFINITION, Type::String,
                    "A whole task definition as JSON, instead of `container_definitions` and the task arguments: RegisterTaskDefinition input or `aws ecs describe-task-definition` output, e.g. `file(\"ecs-task-def.json\")` from ecspresso or aws-actions. Read-only fields and the `taskDefinition` wrapper are ignored, `family` is this resource's, and its `tags` (a list of `{key, value}`) join `tags_all`. Every other field is registered as written."),
                optional(CPU, Type::String, "Task CPU units (`256`) or vCPUs (`.25 vCPU`)."),
                optional(MEMORY, Type::String, "Task memory in MiB (`512`) or GB (`.5 GB`)."),
                attribute(NETWORK_MODE, Type::String, Mode::OptionalComputed,
                    "`awsvpc`, `bridge`, `host` or `none`. Left out, the task runs in bridge mode (an imported revision may say `bridge`)."),
                optional(REQUIRES_COMPATIBILITIES, Type::set(Type::String), "Launch types the task definition is validated against: `EC2`, `FARGATE`, `EXTERNAL`, `MANAGED_INSTANCES`."),
                optional(EXECUTION_ROLE_ARN, Type::String, "ARN of the role the ECS agent uses to pull images and read secrets."),
                optional(TASK_ROLE_ARN, Type::String, "ARN of the role the containers assume."),
                optional(PID_MODE, Type::String, "Process namespace: `host` or `task`."),
                optional(IPC_MODE, Type::String, "IPC namespace: `host`, `task` or `none`."),
                optional(DEPLOY_FAMILY, Type::String,
                    "Family `ecstpl deploy` registers deployed revisions into, e.g. `web`. Recorded as the `ecstpl:deploy-family` tag; changing it re-tags the template revision without registering a new one."),
                optional(TAGS, Type::map(Type::String), "Tags on the template revision. Keys starting with `ecstpl:` are reserved."),
                attribute(ENABLE_FAULT_INJECTION, Type::Bool, Mode::OptionalComputed,
                    "Enable fault injection (FIS) for tasks of this definition. Left out means `false` (ECS reports `false`)."),
                optional(SKIP_DESTROY, Type::Bool, "Keep the template revisions registered when the resource is destroyed. Without it, destroy deregisters every ACTIVE revision of the family tagged `ecstpl:role=template`: the current one, superseded ones `keep_superseded_revisions` kept and any in `pending_deregistration`, so no template is left for `ecstpl deploy` to render from. A revision somebody else registered into the family is left alone."),
                optional(EXPRESS, Type::Bool,
                    "The template serves an ECS Express service: plan fails unless the task definition has what Express needs (a container named `Main` with a single TCP port mapping that has a `containerPort` and a `name`, and `FARGATE` in `requires_compatibilities`), the same check `ecstpl deploy` makes before it registers for an Express service. Changing it registers nothing."),
                optional(DEREGISTER_SUPERSEDED, Type::Bool,
                    "Deregister superseded template revisions after an update registers a new one (default `true`). Only revisions tagged `ecstpl:role=template` are ever deregistered; a revision somebody else registered into the family is left alone."),
                optional(KEEP_SUPERSEDED_REVISIONS, Type::Number,
                    "With `deregister_superseded`, how many of the newest superseded template revisions stay ACTIVE (default 0), e.g. to roll back by hand."),
                computed(TAGS_ALL, Type::map(Type::String), "`tags` merged over the provider's `default_tags`."),
                computed(ARN, Type::String, "ARN of the current template revision."),
                computed(ARN_WITHOUT_REVISION, Type::String, "ARN of the family, without the revision number."),
                computed(REVISION, Type::Number, "Revision number of the current template revision."),
                computed(PENDING_DEREGISTRATION, Type::list(Type::String),
                    "Superseded template revisions whose deregistration failed (they stay ACTIVE). The next plan shows this list changing and the apply retries them."),
            ],
            blocks: task_blocks::blocks(),
            ..Block::default()
        },
    }
}

/// Attributes ECS gives a value when they are left out (optional+computed in the schema): an
/// imported revision may carry that value, which then means the same as leaving it out.
/// Sources: the rules table, `crate::taskdef::rules` (T3, T5, T6, T7, T9, T10, T11). The domain's
/// one table of defaults, [`crate::taskdef::TASK_DEFAULTS`], says the same in API names; a test
/// below keeps the two in agreement.
const ABSENT_MEANS: &[AbsentMeans] = &[
    AbsentMeans {
        path: &[NETWORK_MODE],
        means: Literal::Str("bridge"),
    },
    AbsentMeans {
        path: &[ENABLE_FAULT_INJECTION],
        means: Literal::Bool(false),
    },
    AbsentMeans {
        path: &[VOLUME, "configure_at_launch"],
        means: Literal::Bool(false),
    },
    AbsentMeans {
        path: &[VOLUME, "efs_volume_configuration", "root_directory"],
        means: Literal::Str("/"),
    },
    AbsentMeans {
        path: &[VOLUME, "efs_volume_configuration", "transit_encryption"],
        means: Literal::Str("DISABLED"),
    },
    AbsentMeans {
        path: &[
            VOLUME,
            "efs_volume_configuration",
            "authorization_config",
            "iam",
        ],
        means: Literal::Str("DISABLED"),
    },
    AbsentMeans {
        path: &[VOLUME, "docker_volume_configuration", "scope"],
        means: Literal::Str("task"),
    },
    AbsentMeans {
        path: &[VOLUME, "docker_volume_configuration", "driver"],
        means: Literal::Str("local"),
    },
    AbsentMeans {
        path: &[VOLUME, "docker_volume_configuration", "autoprovision"],
        means: Literal::Bool(false),
    },
    AbsentMeans {
        path: &[PROXY_CONFIGURATION, "type"],
        means: Literal::Str("APPMESH"),
    },
];

pub(crate) const PLAN_RULES: PlanRules = PlanRules {
    requires_replace: &[FAMILY],
    unknown_on_replace: &[ARN_WITHOUT_REVISION],
    unknown_on_new_version: &[ARN, REVISION],
    absent_means: ABSENT_MEANS,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plugin::schema::Nesting;

    /// Every path of the plan rules names an optional+computed attribute of the schema.
    #[test]
    fn absent_means_paths_exist_and_are_optional_computed() {
        let schema = schema();
        for rule in ABSENT_MEANS {
            let mut block = &schema.block;
            let (last, nested) = rule.path.split_last().unwrap();
            for name in nested {
                let found = block.blocks.iter().find(|b| b.name == *name);
                let found = found.unwrap_or_else(|| panic!("no block {name} in {:?}", rule.path));
                assert_ne!(found.nesting, Nesting::Set, "{:?}", rule.path);
                block = &found.block;
            }
            let attribute = block.attributes.iter().find(|a| a.name == *last);
            let attribute = attribute.unwrap_or_else(|| panic!("no attribute {:?}", rule.path));
            assert_eq!(attribute.mode, Mode::OptionalComputed, "{:?}", rule.path);
        }
    }

    /// The plan rules and the domain's table of defaults (what the normalizer compares with)
    /// name the same fields with the same values: every entry of one is in the other.
    #[test]
    fn absent_means_agrees_with_the_domain_defaults() {
        use crate::taskdef::{DefaultValue, TASK_DEFAULTS};
        let terraform_path = |api: &[&str]| -> Vec<String> {
            let (first, rest) = api.split_first().unwrap();
            let first =
                attribute_of_api_key(first).unwrap_or_else(|| panic!("no attribute for {first}"));
            std::iter::once(first.to_string())
                .chain(
                    rest.iter()
                        .map(|k| crate::provider::task_blocks::attribute_name(k)),
                )
                .collect()
        };
        let same = |literal: &Literal, value: DefaultValue| match (literal, value) {
            (Literal::Str(a), DefaultValue::Str(b)) => *a == b,
            (Literal::Bool(a), DefaultValue::Bool(b)) => *a == b,
            _ => false,
        };
        for default in TASK_DEFAULTS {
            let path = terraform_path(default.path);
            let rule = ABSENT_MEANS.iter().find(|r| r.path == path.as_slice());
            let rule = rule.unwrap_or_else(|| panic!("ABSENT_MEANS lacks {path:?}"));
            assert!(same(&rule.means, default.means), "{path:?} disagrees");
        }
        for rule in ABSENT_MEANS {
            assert!(
                TASK_DEFAULTS
                    .iter()
                    .any(|d| terraform_path(d.path) == rule.path),
                "{:?} is not in the domain's defaults",
                rule.path
            );
        }
    }
}
