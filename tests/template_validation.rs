//! Bad input is rejected at plan time, before any API call: each case below gives its
//! diagnostic on the attribute it is about, and the ECS API receives no write call at all
//! (counted by a recording proxy in front of the emulator).

mod support;

use support::proxy::RecordingProxy;
use support::{Moto, Workspace, terraform_binaries};

struct Case {
    name: &'static str,
    /// The resource body.
    body: String,
    /// The diagnostic's summary.
    summary: &'static str,
    /// The attribute the diagnostic points at (Terraform shows its source line).
    attribute: &'static str,
    /// More text the diagnostic must contain.
    detail: &'static str,
}

fn body(family: &str, containers: &str, extra: &str) -> String {
    format!("family = \"{family}\"\n  container_definitions = {containers}\n  {extra}")
}

fn json(containers: &str) -> String {
    format!("<<-EOT\n{containers}\nEOT")
}

const OK: &str = r#"[{"name": "app", "image": "placeholder", "memory": 128}]"#;

fn cases() -> Vec<Case> {
    let fargate = "requires_compatibilities = [\"FARGATE\"]\n  network_mode = \"awsvpc\"";
    let many: Vec<String> = (0..11)
        .map(|i| format!(r#"{{"name": "c{i}", "image": "x", "memory": 64}}"#))
        .collect();
    let huge = format!(
        r#"[{{"name": "a", "image": "x", "memory": 64, "command": ["{}"]}}]"#,
        "y".repeat(70_000)
    );
    let tags: Vec<String> = (0..48).map(|i| format!("t{i} = \"v\"")).collect();
    let case = |name, body, summary, attribute, detail| Case {
        name,
        body,
        summary,
        attribute,
        detail,
    };
    vec![
        case(
            "syntax error",
            body("web", &json("[{\"name\": \"app\",}]"), ""),
            "Invalid JSON",
            "container_definitions",
            "line 1",
        ),
        case(
            "not an array",
            body("web", &json(r#"{"name": "app", "image": "x"}"#), ""),
            "Not a list of container definitions",
            "container_definitions",
            "array",
        ),
        case(
            "typo imagee",
            body(
                "web",
                &json(r#"[{"name": "app", "imagee": "x", "image": "x"}]"#),
                "",
            ),
            "Unknown key",
            "container_definitions",
            "Did you mean \"image\"",
        ),
        case(
            "case Image",
            body(
                "web",
                &json(r#"[{"name": "app", "Image": "x", "image": "x"}]"#),
                "",
            ),
            "Unknown key",
            "container_definitions",
            "Did you mean \"image\"",
        ),
        case(
            "portmappings",
            body(
                "web",
                &json(r#"[{"name": "app", "image": "x", "portmappings": []}]"#),
                "",
            ),
            "Unknown key",
            "container_definitions",
            "portMappings",
        ),
        case(
            "missing name",
            body("web", &json(r#"[{"image": "x"}]"#), ""),
            "Missing container name",
            "container_definitions",
            "containerDefinitions[0].name",
        ),
        case(
            "missing image",
            body("web", &json(r#"[{"name": "app"}]"#), ""),
            "Missing image",
            "container_definitions",
            "placeholder",
        ),
        case(
            "empty image",
            body("web", &json(r#"[{"name": "app", "image": ""}]"#), ""),
            "Empty image",
            "container_definitions",
            "containerDefinitions[0].image",
        ),
        case(
            "duplicate names",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]"#),
                "",
            ),
            "Duplicate container name",
            "container_definitions",
            "containerDefinitions[1].name",
        ),
        case(
            "no essential",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "essential": false}]"#),
                "",
            ),
            "No essential container",
            "container_definitions",
            "essential",
        ),
        case(
            "eleven containers",
            body("web", &json(&format!("[{}]", many.join(","))), ""),
            "Too many containers",
            "container_definitions",
            "at most 10",
        ),
        case(
            "over 64 KiB",
            body("web", &json(&huge), ""),
            "Task definition too large",
            "container_definitions",
            "64 KiB",
        ),
        case(
            "environment not a list",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "environment": {"A": "1"}}]"#),
                "",
            ),
            "Invalid environment",
            "container_definitions",
            "list of objects",
        ),
        case(
            "environment without name",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "environment": [{"value": "1"}]}]"#),
                "",
            ),
            "Missing name in environment",
            "container_definitions",
            "environment[0].name",
        ),
        case(
            "container memory as text",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "memory": "512"}]"#),
                "",
            ),
            "Invalid memory",
            "container_definitions",
            "whole number",
        ),
        case(
            "privileged on Fargate",
            body(
                "web",
                &json(r#"[{"name": "a", "image": "x", "privileged": true}]"#),
                &format!("{fargate}\n  cpu = \"256\"\n  memory = \"512\""),
            ),
            "Privileged containers are not supported on Fargate",
            "container_definitions",
            "privileged",
        ),
        case(
            "family with a colon",
            body("web:1", &json(OK), ""),
            "Invalid family",
            "family",
            "letters, digits, hyphens and underscores",
        ),
        case(
            "cpu not a size",
            body("web", &json(OK), "cpu = \"fast\""),
            "Invalid cpu",
            "cpu",
            "vCPU",
        ),
        case(
            "memory not a size",
            body("web", &json(OK), "memory = \"2 TB\""),
            "Invalid memory",
            "memory",
            "GB",
        ),
        case(
            "Fargate size",
            body(
                "web",
                &json(OK),
                &format!("{fargate}\n  cpu = \"256\"\n  memory = \"4096\""),
            ),
            "Invalid Fargate task size",
            "memory",
            "512, 1024 or 2048",
        ),
        case(
            "Fargate without cpu",
            body("web", &json(OK), &format!("{fargate}\n  memory = \"512\"")),
            "Fargate needs a task cpu",
            "requires_compatibilities",
            "cpu and memory",
        ),
        case(
            "Fargate on bridge",
            body(
                "web",
                &json(OK),
                "requires_compatibilities = [\"FARGATE\"]\n  network_mode = \"bridge\"\n  cpu = \"256\"\n  memory = \"512\"",
            ),
            "Fargate needs awsvpc",
            "network_mode",
            "awsvpc",
        ),
        case(
            "reserved tag",
            body(
                "web",
                &json(OK),
                "tags = { \"ecstpl:role\" = \"deployed\" }",
            ),
            "Reserved tag key",
            "tags",
            "deploy_family",
        ),
        case(
            "too many tags",
            body(
                "web",
                &json(OK),
                &format!("tags = {{\n    {}\n  }}", tags.join("\n    ")),
            ),
            "Too many tags",
            "tags",
            "at most 47",
        ),
        case(
            "deploy family equals family",
            body("web", &json(OK), "deploy_family = \"web\""),
            "deploy_family must differ from family",
            "deploy_family",
            "family of their own",
        ),
        case(
            "negative keep",
            body("web", &json(OK), "keep_superseded_revisions = -1"),
            "Invalid keep_superseded_revisions",
            "keep_superseded_revisions",
            "deregister_superseded",
        ),
    ]
}

#[test]
fn invalid_inputs_are_rejected_at_plan_time_without_any_write_call() {
    let moto = Moto::start();
    let proxy = RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let cases = cases();
    assert!(cases.len() >= 20);
    let mut failures = Vec::new();
    for case in &cases {
        let workspace = Workspace::new(&terraform, &proxy.endpoint());
        workspace.write(
            "main.tf",
            &format!(
                "terraform {{\n  required_providers {{\n    ecstpl = {{ source = \"ecstpl/ecstpl\" }}\n  }}\n}}\n\nprovider \"ecstpl\" {{\n  region = \"us-east-1\"\n}}\n\nresource \"ecstpl_template\" \"bad\" {{\n  {}\n}}\n",
                case.body
            ),
        );
        let output = workspace.run(&["plan", "-input=false", "-no-color"]);
        let text = output.combined();
        // Terraform shows the diagnostic with the source line of the attribute it points at.
        // Terraform wraps long messages: compare with whitespace folded.
        let diagnostic = text
            .split("Error: ")
            .find(|part| part.starts_with(case.summary))
            .map(|part| part.split_whitespace().collect::<Vec<_>>().join(" "));
        let ok = !output.success()
            && diagnostic.as_ref().is_some_and(|d| {
                d.contains(&format!("{} ", case.attribute)) && d.contains(case.detail)
            });
        if !ok {
            failures.push(format!(
                "{}: expected {:?} on {} mentioning {:?}\n{text}",
                case.name, case.summary, case.attribute, case.detail
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
    assert_eq!(
        proxy.write_calls(),
        Vec::<String>::new(),
        "no write call may reach ECS for invalid input"
    );
    eprintln!(
        "{} invalid inputs rejected; ECS calls made: {:?}",
        cases.len(),
        proxy.calls()
    );
}
