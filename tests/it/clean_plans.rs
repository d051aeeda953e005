//! Plans stay clean by construction: a revision is immutable, so a refresh never compares the
//! stored body with the configuration, and whatever ECS stores (modelled from public evidence
//! in `support::ecs_model`, not from ecstpl's normalizer) never shows as a diff. Where the
//! configuration does meet what ECS stores — import — it is compared semantically: every rule's
//! example and every corpus file, registered as ECS stores it, imports with a configuration in
//! the user's form and plans no change, and a real change next to each rewrite is still seen.

use crate::support;
use crate::support::proxy::RecordingProxy;
use crate::support::templates::{corpus, hcl_string, template_named};
use crate::support::{Moto, Workspace, create_service, ecstpl, register_raw, terraform_binaries};
use serde_json::{Map, Value as Json, json};

use ecstpl::taskdef::rules::RULES;

/// The provider block every workspace here starts with.
const HEADER: &str = support::templates::PROVIDER_HEADER;

fn document(text: &str) -> Map<String, Json> {
    serde_json::from_str(text).expect("a rule example is JSON")
}

/// A rule id as a Terraform name and family fragment.
fn slug(id: &str) -> String {
    id.to_ascii_lowercase()
}

/// Read-only fields cannot be registered: what a describe adds is left out of the input.
fn registration(mut definition: Map<String, Json>, family: &str, tags: &[(&str, &str)]) -> Json {
    for key in [
        "taskDefinitionArn",
        "revision",
        "status",
        "compatibilities",
        "requiresAttributes",
        "registeredAt",
        "registeredBy",
        "deregisteredAt",
    ] {
        definition.remove(key);
    }
    definition.insert("family".into(), json!(family));
    definition.insert(
        "tags".into(),
        tags.iter()
            .map(|(k, v)| json!({"key": k, "value": v}))
            .collect(),
    );
    Json::Object(definition)
}

fn assert_plan(workspace: &Workspace, expected: i32, what: &str) -> String {
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(
        code,
        expected,
        "{what} (Terraform {}):\n{}",
        workspace.terraform.version,
        output.combined()
    );
    output.stdout
}

#[test]
fn every_rule_example_applies_and_plans_clean_in_both_forms_whatever_ecs_adds_later() {
    let moto = Moto::start();
    for terraform in terraform_binaries() {
        let proxy = RecordingProxy::start(&moto.endpoint());
        proxy.model_ecs_storage();
        let workspace = Workspace::new(&terraform, &proxy.endpoint());
        let version = terraform.version.replace('.', "");
        let mut config = String::from(HEADER);
        for rule in RULES {
            let id = slug(rule.id);
            let example = document(rule.example_user);
            config.push_str(&template_named(
                &format!("args_{id}"),
                &format!("rule-{id}-args-{version}"),
                &example,
                workspace.path(),
            ));
            config.push('\n');
            let file = format!("rule-{id}.json");
            workspace.write(&file, rule.example_user);
            config.push_str(&format!(
                "resource \"ecstpl_template\" \"doc_{id}\" {{\n  family          = \"rule-{id}-doc-{version}\"\n  task_definition = file(\"{file}\")\n}}\n"
            ));
        }
        workspace.write("main.tf", &config);
        workspace.apply(&[]);
        assert_plan(&workspace, 0, "a plan right after apply");

        // ECS starts returning fields these revisions were registered without, as it did with
        // `systemControls: []`: a refresh never compares the body, so nothing changes.
        proxy.add_container_field_later("systemControls", json!([]));
        proxy.add_container_field_later("someFieldFromTheFuture", json!({"enabled": false}));
        assert_plan(&workspace, 0, "a plan after ECS added fields");
        workspace.destroy(&[]);
    }
}

/// The perpetual diff users of other tools know: under host networking ECS stores a port
/// mapping without `hostPort` with the container port (aws/amazon-ecs-agent#185).
#[test]
fn host_networking_without_host_ports_plans_clean_and_a_real_port_change_is_seen() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let config = |port: u16| {
        format!(
            "{HEADER}\nresource \"ecstpl_template\" \"statsd\" {{\n  family       = \"statsd-template\"\n  network_mode = \"host\"\n  container_definitions = jsonencode([{{\n    name         = \"statsd\"\n    image        = \"statsd:1\"\n    memory       = 128\n    portMappings = [{{ containerPort = {port}, protocol = \"udp\" }}]\n  }}])\n}}\n"
        )
    };
    workspace.write("main.tf", &config(8125));
    workspace.apply(&[]);
    assert_plan(&workspace, 0, "host networking after apply");
    workspace.write("main.tf", &config(8126));
    let plan = assert_plan(&workspace, 2, "a changed container port");
    assert!(plan.contains("1 to change"), "{plan}");
}

/// Registers every rule's example (or its real-change variant) as ECS stores it, then imports
/// it with import blocks and a configuration in the user's form.
fn import_rule_examples(workspace: &Workspace, endpoint: &str, changed: bool) -> String {
    let version = workspace.terraform.version.replace('.', "");
    let variant = if changed { "changed" } else { "same" };
    let mut config = String::from(HEADER);
    for rule in RULES {
        let id = slug(rule.id);
        let family = format!("rule-{id}-import-{variant}-{version}");
        let registered = if changed {
            rule.example_changed
        } else {
            rule.example_user
        };
        register_raw(
            endpoint,
            &registration(
                document(registered),
                &family,
                &[("ecstpl:role", "template")],
            ),
        );
        config.push_str(&template_named(
            &format!("imported_{id}"),
            &family,
            &document(rule.example_user),
            workspace.path(),
        ));
        config.push_str(&format!(
            "\nimport {{\n  to = ecstpl_template.imported_{id}\n  id = {}\n}}\n",
            hcl_string(&family)
        ));
    }
    config
}

#[test]
fn every_rule_example_stored_by_ecs_imports_and_plans_no_change() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    // Import blocks need Terraform 1.5 or later.
    for terraform in terraform_binaries()
        .into_iter()
        .filter(|t| !t.version.starts_with("1.0."))
    {
        let workspace = Workspace::new(&terraform, &proxy.endpoint());
        let config = import_rule_examples(&workspace, &proxy.endpoint(), false);
        workspace.write("main.tf", &config);
        proxy.clear();
        let plan = assert_plan(&workspace, 2, "import plan");
        let summary = format!(
            "Plan: {} to import, 0 to add, 0 to change, 0 to destroy.",
            RULES.len()
        );
        assert!(plan.contains(&summary), "expected {summary:?}:\n{plan}");
        assert!(proxy.write_calls().is_empty(), "{:?}", proxy.write_calls());
        workspace.apply(&[]);
        assert!(
            !proxy
                .calls()
                .iter()
                .any(|op| op == "RegisterTaskDefinition"),
            "importing registered something: {:?}",
            proxy.calls()
        );
        assert_plan(&workspace, 0, "a plan after the import");
    }
}

#[test]
fn a_real_change_next_to_each_rewrite_is_seen_after_import() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let config = import_rule_examples(&workspace, &proxy.endpoint(), true);
    workspace.write("main.tf", &config);
    let plan = assert_plan(&workspace, 2, "import of changed revisions");
    let summary = format!(
        "Plan: {n} to import, 0 to add, {n} to change, 0 to destroy.",
        n = RULES.len()
    );
    assert!(plan.contains(&summary), "expected {summary:?}:\n{plan}");
}

#[test]
fn every_corpus_file_stored_by_ecs_imports_and_plans_no_change() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    let mut config = String::from(HEADER);
    let files = corpus("valid");
    for (index, (name, document)) in files.iter().enumerate() {
        let family = format!("corpus-import-{index}");
        let mut document = document.clone();
        // The same substitutions as the corpus round trip (see there): real sizes for a file
        // that leaves them to envsubst, task memory for the one that sets none anywhere.
        for (field, size) in [("cpu", "256"), ("memory", "512")] {
            if document
                .get(field)
                .and_then(Json::as_str)
                .is_some_and(|v| v.contains("${"))
            {
                document.insert(field.into(), json!(size));
            }
        }
        if name.starts_with("NASA-ACROSS") {
            document.insert("memory".into(), json!("512"));
        }
        let mut tags: Vec<(String, String)> = document
            .get("tags")
            .and_then(Json::as_array)
            .map(|tags| {
                tags.iter()
                    .map(|t| {
                        (
                            t["key"].as_str().unwrap_or_default().to_string(),
                            t["value"].as_str().unwrap_or_default().to_string(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default();
        tags.push(("ecstpl:role".into(), "template".into()));
        let tags: Vec<(&str, &str)> = tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        register_raw(
            &proxy.endpoint(),
            &registration(document.clone(), &family, &tags),
        );
        config.push_str(&template_named(
            &format!("c{index}"),
            &family,
            &document,
            workspace.path(),
        ));
        config.push_str(&format!(
            "\nimport {{\n  to = ecstpl_template.c{index}\n  id = \"{family}\"\n}}\n"
        ));
    }
    workspace.write("main.tf", &config);
    let plan = assert_plan(&workspace, 2, "import plan of the corpus");
    let summary = format!(
        "Plan: {} to import, 0 to add, 0 to change, 0 to destroy.",
        files.len()
    );
    assert!(plan.contains(&summary), "expected {summary:?}:\n{plan}");
}

/// A definition registered without a network mode, imported with a configuration without one:
/// moto reports `bridge`, ECS reports none; both plan no change.
#[test]
fn import_without_a_network_mode_plans_no_change_whatever_the_endpoint_reports() {
    let moto = Moto::start();
    for model in [false, true] {
        let proxy = RecordingProxy::start(&moto.endpoint());
        if model {
            proxy.model_ecs_storage();
        }
        for terraform in terraform_binaries() {
            let workspace = Workspace::new(&terraform, &proxy.endpoint());
            let family = format!("plain-{model}-{}", terraform.version.replace('.', ""));
            register_raw(
                &proxy.endpoint(),
                &json!({"family": family, "containerDefinitions": [{"name": "app", "image": "x", "memory": 128}],
                        "tags": [{"key": "ecstpl:role", "value": "template"}]}),
            );
            workspace.write(
                "main.tf",
                &format!(
                    "{HEADER}\nresource \"ecstpl_template\" \"plain\" {{\n  family = \"{family}\"\n  container_definitions = jsonencode([{{ name = \"app\", image = \"x\", memory = 128 }}])\n}}\n"
                ),
            );
            let imported = workspace.run(&[
                "import",
                "-input=false",
                "-no-color",
                "ecstpl_template.plain",
                &family,
            ]);
            assert!(imported.success(), "{}", imported.combined());
            let plan = assert_plan(
                &workspace,
                0,
                "a plan after importing a bridge-mode revision",
            );
            assert!(!plan.contains("network_mode"), "{plan}");
        }
    }
}

/// Someone registers a revision into the template family by hand ("Create new revision" in the
/// console): it never becomes the template, and the resource's refresh says so.
#[tokio::test(flavor = "multi_thread")]
async fn a_revision_registered_by_hand_into_the_template_family_is_not_the_template() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    workspace.write(
        "main.tf",
        &format!(
            "{HEADER}\nresource \"ecstpl_template\" \"web\" {{\n  family        = \"web-template\"\n  deploy_family = \"web\"\n  container_definitions = jsonencode([{{ name = \"app\", image = \"placeholder\", memory = 128, environment = [{{ name = \"FROM\", value = \"terraform\" }}] }}])\n}}\n"
        ),
    );
    workspace.apply(&[]);
    let foreign = register_raw(
        &proxy.endpoint(),
        &json!({"family": "web-template", "containerDefinitions": [{"name": "app", "image": "placeholder", "memory": 128,
                "environment": [{"name": "FROM", "value": "console"}]}]}),
    );
    let foreign_arn = foreign["taskDefinition"]["taskDefinitionArn"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
    let text = output.combined();
    assert!(
        text.contains("Revisions registered after the template"),
        "{text}"
    );
    assert!(text.contains(&foreign_arn), "{text}");

    // A service bootstrapped on the template; a deploy renders the template, not the newer
    // revision from the console.
    create_service(
        &proxy.endpoint(),
        &json!({"cluster": "prod", "serviceName": "web", "desiredCount": 1, "taskDefinition": "web-template:1"}),
    );
    let rendered = ecstpl(
        &proxy.endpoint(),
        &[
            "render",
            "--cluster",
            "prod",
            "--service",
            "web",
            "--template",
            "web-template",
        ],
    );
    assert!(rendered.success(), "{}", rendered.stderr);
    let rendered: Json = serde_json::from_str(&rendered.stdout).unwrap();
    let tags = rendered["tags"].as_array().unwrap();
    assert!(
        tags.iter()
            .any(|t| t["key"] == "ecstpl:template" && t["value"] == "web-template:1"),
        "{rendered}"
    );
    assert_eq!(
        rendered["containerDefinitions"][0]["environment"][0]["value"], "terraform",
        "{rendered}"
    );
}

/// A revision imported from outside ecstpl has no contract tags: the next apply adds them in
/// place (the plan shows only `tags_all`), registering nothing, and then plans are clean.
#[test]
fn an_imported_foreign_revision_gets_the_contract_tags_in_place() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    proxy.model_ecs_storage();
    let terraform = terraform_binaries().remove(0);
    let workspace = Workspace::new(&terraform, &proxy.endpoint());
    register_raw(
        &proxy.endpoint(),
        &json!({"family": "legacy", "networkMode": "awsvpc", "cpu": "256", "memory": "512",
                "requiresCompatibilities": ["FARGATE"],
                "containerDefinitions": [{"name": "app", "image": "x", "portMappings": [{"containerPort": 80}]}],
                "tags": [{"key": "team", "value": "web"}]}),
    );
    workspace.write(
        "main.tf",
        &format!(
            "{HEADER}\nresource \"ecstpl_template\" \"legacy\" {{\n  family                   = \"legacy\"\n  cpu                      = \".25 vCPU\"\n  memory                   = \"512\"\n  network_mode             = \"awsvpc\"\n  requires_compatibilities = [\"FARGATE\"]\n  tags                     = {{ team = \"web\" }}\n  container_definitions = jsonencode([{{ name = \"app\", image = \"x\", portMappings = [{{ containerPort = 80 }}] }}])\n}}\n"
        ),
    );
    let imported = workspace.run(&[
        "import",
        "-input=false",
        "-no-color",
        "ecstpl_template.legacy",
        "legacy",
    ]);
    assert!(imported.success(), "{}", imported.combined());
    let plan = assert_plan(&workspace, 2, "the contract tags are missing");
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    assert!(plan.contains("tags_all"), "{plan}");
    assert!(!plan.contains("container_definitions"), "{plan}");
    proxy.clear();
    workspace.apply(&[]);
    assert_eq!(proxy.write_calls(), vec!["TagResource"]);
    assert_plan(&workspace, 0, "after the contract tags were added");
}
