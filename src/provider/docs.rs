//! Registry documentation generated from the schemas' descriptions, so the docs cannot drift
//! from the code: `cargo run --example generate-docs` writes `docs/`, and a test fails when
//! the committed files differ from what this module produces.

use std::fmt::Write as _;

use crate::plugin::framework::Provider as _;
use crate::plugin::schema::{Attribute, Block, Mode, Nesting, Schema};
use crate::plugin::value::Type;
use crate::provider::EcstplProvider;

const PROVIDER_EXAMPLE: &str = include_str!("../../examples/provider/provider.tf");
const TEMPLATE_EXAMPLE: &str = include_str!("../../examples/resources/ecstpl_template/resource.tf");
const TEMPLATE_DOCUMENT_EXAMPLE: &str =
    include_str!("../../examples/resources/ecstpl_template/document.tf");
const TEMPLATE_IMPORT: &str = include_str!("../../examples/resources/ecstpl_template/import.sh");
const TEMPLATE_IMPORT_BLOCK: &str =
    include_str!("../../examples/resources/ecstpl_template/import-block.tf");
const TEMPLATE_IMPORT_IDENTITY: &str =
    include_str!("../../examples/resources/ecstpl_template/import-identity.tf");
const TEMPLATE_MOVED: &str = include_str!("../../examples/resources/ecstpl_template/moved.tf");
const LIST_EXAMPLE: &str =
    include_str!("../../examples/list-resources/ecstpl_template/list.tfquery.hcl");
const ACTION_EXAMPLE: &str = include_str!("../../examples/actions/ecstpl_rollout/action.tf");
const DATA_SOURCE_EXAMPLE: &str =
    include_str!("../../examples/data-sources/ecstpl_deployed_revision/data-source.tf");

/// Every documentation file: (path under `docs/`, contents).
pub fn registry_docs() -> Vec<(String, String)> {
    let provider = EcstplProvider::new();
    let mut files = vec![("index.md".to_string(), index(&provider.schema()))];
    for resource in provider.resources() {
        let name = resource.type_name();
        let short = name.trim_start_matches("ecstpl_");
        files.push((
            format!("resources/{short}.md"),
            page(
                name,
                "Resource",
                &resource.schema(),
                &format!(
                    "{TEMPLATE_EXAMPLE}```\n\nFrom a task definition file a team already keeps:\n\n```terraform\n{TEMPLATE_DOCUMENT_EXAMPLE}"
                ),
                Some(import_section()),
            ),
        ));
    }
    for data_source in provider.data_sources() {
        let name = data_source.type_name();
        let short = name.trim_start_matches("ecstpl_");
        files.push((
            format!("data-sources/{short}.md"),
            page(
                name,
                "Data Source",
                &data_source.schema(),
                DATA_SOURCE_EXAMPLE,
                None,
            ),
        ));
    }
    for list in provider.list_resources() {
        let name = list.type_name();
        let short = name.trim_start_matches("ecstpl_");
        files.push((
            format!("list-resources/{short}.md"),
            page(
                name,
                "List Resource",
                &list.schema(),
                LIST_EXAMPLE,
                Some("Each result is the family's latest revision in the given status, with the identity of `ecstpl_template` (`account_id`, `region`, `family`) and, when Terraform asks for it (`include_resource = true`, `-generate-config-out`), the resource as an import would write it. The generated import blocks import by identity; ecstpl's own templates then plan no change, and a family ecstpl did not register gets its contract tags in place on the same revision.\n".to_string()),
            ),
        ));
    }
    for action in provider.actions() {
        let name = action.type_name();
        let short = name.trim_start_matches("ecstpl_");
        files.push((
            format!("actions/{short}.md"),
            page(
                name,
                "Action",
                &action.schema(),
                ACTION_EXAMPLE,
                Some("## Progress and failure

While it runs, Terraform shows each step (`registered web:8 from template web-template:5`, `service web now set to web:8`) and where the service deployment is (strategy, lifecycle stage, tasks, traffic). The action fails when the deployment ends ROLLBACK_SUCCESSFUL, ROLLBACK_FAILED or STOPPED, with the reason ECS gives, and when `timeout` passes; the deployment itself goes on in ECS either way. Services on the CODE_DEPLOY or EXTERNAL deployment controller are refused before anything is registered. Actions change no state: a plan after the action is clean.\n\n## Pauses\n\nA deployment with a PAUSE lifecycle hook waits at the hook's stage until someone continues it. With `wait_until = \"paused\"` the action succeeds there and its last line says the deployment is paused and how to continue it, in ECS's API: ContinueServiceDeployment with the deployment's ARN and the hook's id, action `CONTINUE` (or `ROLLBACK`), as `aws ecs continue-service-deployment --service-deployment-arn … --hook-id … --action CONTINUE`; `ecstpl continue` does the same. With `deployed` (the default) or `stable` it reports the pause the same way and goes on waiting; when `timeout` passes at the pause, it fails saying so.\n\nSee the guide [Rolling out template changes from Terraform](../guides/rolling-out-template-changes.md).\n".to_string()),
            ),
        ));
    }
    files.push(("guides/ecs-rewrites.md".to_string(), rewrites_guide()));
    files
}

/// The rules the normalizer knows, from the table in the domain.
fn rewrites_guide() -> String {
    use crate::taskdef::rules::{RULES, Scope};
    let mut out = String::from(
        "---\npage_title: \"What ECS rewrites, and why plans stay clean - ecstpl\"\nsubcategory: \"\"\ndescription: |-\n  Every rewrite ECS makes to a registered task definition that ecstpl knows, with its source.\n---\n\n",
    );
    out.push_str("# What ECS rewrites, and why plans stay clean\n\n");
    out.push_str(
        "ECS does not store a task definition exactly as it was registered: it fills in defaults, \
         adds empty lists, converts task sizes and reorders lists. Tools that compare the stored \
         revision with the configuration show these rewrites as perpetual diffs.\n\n\
         ecstpl guarantees that **a plan after apply is clean whatever ECS adds to the stored \
         revision**: a revision is immutable and its ARN is its identity, so a refresh of \
         `ecstpl_template` reads only whether the revision is still ACTIVE and its tags, never \
         its body. The rules below are used only where the configuration really meets what ECS \
         stores: when a plan compares the configuration with the prior state (a reformatted \
         `file()`, `\"1 vCPU\"` for `\"1024\"`), on import (the first plan compares the \
         configuration with the imported revision), in the data source's `drift` and `in_sync`, \
         and in `ecstpl diff`. There they must be exactly right: equal when ECS would store the \
         same thing, a real and minimal difference when not.\n\n\
         Only rewrites with public evidence are listed; each rule's example is a test (the user's \
         form and the stored form compare equal, and a real change next to the rewrite does \
         not).\n\n",
    );
    for (scope, title) in [
        (Scope::Container, "Container definitions"),
        (Scope::Task, "Task level"),
    ] {
        let _ = write!(
            out,
            "## {title}\n\n| rule | field | you send | ECS stores | when | evidence | sources |\n|---|---|---|---|---|---|---|\n"
        );
        for rule in RULES.iter().filter(|r| r.scope == scope) {
            let sources: Vec<String> = rule
                .sources
                .iter()
                .enumerate()
                .map(|(i, url)| format!("[{}]({url})", i + 1))
                .collect();
            let _ = writeln!(
                out,
                "| {} | `{}` | {} | {} | {} | {} | {} |",
                rule.id,
                rule.field.replace('|', "\\|"),
                rule.user_sends.replace('|', "\\|"),
                rule.ecs_stores.replace('|', "\\|"),
                rule.condition,
                rule.evidence.label(),
                sources.join(" ")
            );
        }
        out.push('\n');
    }
    let _ = writeln!(
        out,
        "{} rules: {} container-level, {} task-level.",
        RULES.len(),
        RULES.iter().filter(|r| r.scope == Scope::Container).count(),
        RULES.iter().filter(|r| r.scope == Scope::Task).count()
    );
    out
}

fn type_name(ty: &Type) -> String {
    match ty {
        Type::String => "String".into(),
        Type::Number => "Number".into(),
        Type::Bool => "Boolean".into(),
        Type::Dynamic => "Dynamic".into(),
        Type::List(e) => format!("List of {}", type_name(e)),
        Type::Set(e) => format!("Set of {}", type_name(e)),
        Type::Map(e) => format!("Map of {}", type_name(e)),
        Type::Object(_) => "Object".into(),
        Type::Tuple(_) => "Tuple".into(),
    }
}

fn front_matter(title: &str, description: &str) -> String {
    let first = description
        .split(". ")
        .next()
        .unwrap_or(description)
        .trim_end_matches('.');
    format!("---\npage_title: \"{title}\"\nsubcategory: \"\"\ndescription: |-\n  {first}.\n---\n\n")
}

fn attribute_line(attribute: &Attribute) -> String {
    format!(
        "- `{}` ({}) {}\n",
        attribute.name,
        type_name(&attribute.ty),
        attribute.description
    )
}

fn block_anchor(path: &str) -> String {
    format!("nestedblock--{}", path.replace('.', "--"))
}

fn arguments(block: &Block, path: &str, out: &mut String) {
    let required: Vec<&Attribute> = block
        .attributes
        .iter()
        .filter(|a| a.mode == Mode::Required)
        .collect();
    let optional: Vec<&Attribute> = block
        .attributes
        .iter()
        .filter(|a| matches!(a.mode, Mode::Optional | Mode::OptionalComputed))
        .collect();
    let computed: Vec<&Attribute> = block
        .attributes
        .iter()
        .filter(|a| a.mode == Mode::Computed)
        .collect();
    if !required.is_empty() {
        out.push_str("### Required\n\n");
        for a in required {
            out.push_str(&attribute_line(a));
        }
        out.push('\n');
    }
    if !optional.is_empty() || !block.blocks.is_empty() {
        out.push_str("### Optional\n\n");
        for a in optional {
            out.push_str(&attribute_line(a));
        }
        for nested in &block.blocks {
            let kind = match nested.nesting {
                Nesting::Single => "Block, at most one",
                Nesting::List => "Block List",
                Nesting::Set => "Block Set",
            };
            let nested_path = if path.is_empty() {
                nested.name.clone()
            } else {
                format!("{path}.{}", nested.name)
            };
            let _ = writeln!(
                out,
                "- `{}` ({kind}) {} (see [below for nested schema](#{}))",
                nested.name,
                nested.block.description,
                block_anchor(&nested_path)
            );
        }
        out.push('\n');
    }
    if !computed.is_empty() {
        out.push_str("### Read-Only\n\n");
        for a in computed {
            out.push_str(&attribute_line(a));
        }
        out.push('\n');
    }
    for nested in &block.blocks {
        let nested_path = if path.is_empty() {
            nested.name.clone()
        } else {
            format!("{path}.{}", nested.name)
        };
        let _ = writeln!(
            out,
            "<a id=\"{}\"></a>\n### Nested Schema for `{nested_path}`\n",
            block_anchor(&nested_path)
        );
        let mut inner = String::new();
        arguments(&nested.block, &nested_path, &mut inner);
        out.push_str(
            &inner
                .replace("### Required", "Required:")
                .replace("### Optional", "Optional:")
                .replace("### Read-Only", "Read-Only:"),
        );
    }
}

fn index(schema: &Schema) -> String {
    let mut out = front_matter("ecstpl Provider", &schema.block.description);
    out.push_str("# ecstpl Provider\n\n");
    out.push_str(
        "ecstpl makes the ECS task definition template pattern a first-class part of Terraform: \
         Terraform owns the *template* of a task definition (every piece of infrastructure \
         configuration, in its own family), CI owns the *image* (`ecstpl deploy` renders the \
         template with the image into the deploy family), and services point at what is live \
         through the `ecstpl_deployed_revision` data source, so `terraform plan` stays clean \
         after every deploy with no `ignore_changes`.\n\n",
    );
    out.push_str(&schema.block.description);
    out.push_str("\n\n## Example Usage\n\n```terraform\n");
    out.push_str(PROVIDER_EXAMPLE);
    out.push_str("```\n\n## Tag contract\n\nEvery revision ecstpl registers carries these tags; they are how the Terraform and CI halves find each other.\n\n| tag | on | value |\n|---|---|---|\n| `ecstpl:role` | both | `template` or `deployed` |\n| `ecstpl:deploy-family` | template | the family deployed revisions go to (`deploy_family`) |\n| `ecstpl:template` | deployed | `family:revision` of the template revision it was rendered from |\n| `ecstpl:ci-images` | deployed | space-separated container names whose image CI set |\n\n## Schema\n\n");
    arguments(&schema.block, "", &mut out);
    out.trim_end().to_string() + "\n"
}

fn import_section() -> String {
    format!(
        "## Import\n\nImport takes an ARN, `family:revision`, or a family name (its latest ACTIVE revision):\n\n```shell\n{TEMPLATE_IMPORT}```\n\nWith Terraform 1.5 or later, an `import` block works too:\n\n```terraform\n{TEMPLATE_IMPORT_BLOCK}```\n\nWith Terraform 1.12 or later, by the resource's identity (`account_id` and `region`, both optional, and `family`; an update registers a new revision of the same family, so the identity stays):\n\n```terraform\n{TEMPLATE_IMPORT_IDENTITY}```\n\nImport writes the revision in the argument form (`container_definitions`, the task arguments and blocks): it cannot see the configuration. With a configuration written as a whole document (`task_definition = jsonencode(…)` or `file(…)`), Terraform requires the plan to follow the configuration's form, so the first plan after the import is an in-place update that shows the argument form going and `task_definition` arriving, with the warning \"Only the form changes: nothing will be registered\". `arn` and `revision` stay known; the apply only records the document form in state, registering nothing, and the next plan is clean.\n\n## Moving from aws_ecs_task_definition\n\nWith Terraform 1.8 or later, a `moved` block turns the AWS provider's state (schema version 1, hashicorp/aws 4.x to 6.x) into ecstpl's without registering anything; with the same arguments the next plan changes only `tags_all` (ecstpl's contract tags, added to the same revision):\n\n```terraform\n{TEMPLATE_MOVED}```\n\nSee the guide [Migrating to ecstpl](../guides/migrating.md).\n"
    )
}

fn page(name: &str, kind: &str, schema: &Schema, example: &str, extra: Option<String>) -> String {
    let mut out = front_matter(
        &format!("{name} {kind} - ecstpl"),
        &schema.block.description,
    );
    let _ = write!(
        out,
        "# {name} ({kind})\n\n{}\n\n## Example Usage\n\n```terraform\n{example}```\n\n## Schema\n\n",
        schema.block.description
    );
    arguments(&schema.block, "", &mut out);
    if let Some(extra) = extra {
        out.push_str(&extra);
    }
    out.trim_end().to_string() + "\n"
}
