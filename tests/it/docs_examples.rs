//! The registry docs in `docs/` are what the schemas say (regenerate with
//! `cargo run --example generate-docs`), and every example is formatted and valid for real
//! Terraform.

use crate::support::{Moto, Workspace, aws_stub_dir, example, repo_root, terraform_binaries};

#[test]
fn docs_are_generated_from_the_current_schemas() {
    let docs = repo_root().join("docs");
    let mut stale = Vec::new();
    let mut generated = ecstpl::provider::docs::registry_docs();
    generated.push(("guides/cli.md".into(), ecstpl::cli::reference()));
    for (path, expected) in generated {
        let actual = std::fs::read_to_string(docs.join(&path)).unwrap_or_default();
        if actual != expected {
            stale.push(path);
        }
    }
    assert!(
        stale.is_empty(),
        "docs are stale: {stale:?}; run `cargo run --example generate-docs` and commit docs/"
    );
}

#[test]
fn examples_are_formatted() {
    let terraform = terraform_binaries().remove(0);
    let output = std::process::Command::new(&terraform.path)
        .args(["fmt", "-check", "-recursive", "-diff"])
        .arg(repo_root().join("examples"))
        .env("CHECKPOINT_DISABLE", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "terraform fmt -check found unformatted examples:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn examples_validate() {
    let moto = Moto::start();
    for terraform in terraform_binaries() {
        let minor = terraform.minor();
        // The registry's layout splits provider, resource and data source examples into
        // fragments; together they form one configuration.
        let workspace = Workspace::new(&terraform, &moto.endpoint());
        workspace.write("provider.tf", &example("provider/provider.tf"));
        workspace.write(
            "resource.tf",
            &example("resources/ecstpl_template/resource.tf"),
        );
        workspace.write(
            "data-source.tf",
            &example("data-sources/ecstpl_deployed_revision/data-source.tf"),
        );
        workspace.write(
            "document.tf",
            &example("resources/ecstpl_template/document.tf"),
        );
        workspace.write(
            "ecs-task-def.json",
            &example("resources/ecstpl_template/ecs-task-def.json"),
        );
        if minor >= 5 {
            // `import` blocks exist since Terraform 1.5.
            workspace.write(
                "import.tf",
                &example("resources/ecstpl_template/import-block.tf"),
            );
        }
        if minor >= 14 {
            // `action` blocks exist since Terraform 1.14.
            workspace.write("action.tf", &example("actions/ecstpl_rollout/action.tf"));
        }
        let output = workspace.run(&["validate", "-no-color"]);
        assert!(
            output.success(),
            "Terraform {}: {}",
            terraform.version,
            output.combined()
        );

        // Whole configurations of their own.
        for whole in ["demo/main.tf", "express/main.tf"] {
            let workspace = Workspace::new(&terraform, &moto.endpoint());
            workspace.write("main.tf", &example(whole));
            let output = workspace.run(&["validate", "-no-color"]);
            assert!(
                output.success(),
                "Terraform {} {whole}: {}",
                terraform.version,
                output.combined()
            );
        }
    }
}

/// examples/complete also uses `aws_ecs_service` from hashicorp/aws, which cannot be
/// downloaded here: a schema stub with the AWS provider's names and types for the attributes
/// the example uses stands in for it (examples/aws-schema-stub.rs, built by scripts/test).
#[test]
fn complete_example_validates() {
    let overrides = aws_stub_dir();
    let moto = Moto::start();
    for terraform in terraform_binaries() {
        let workspace = Workspace::with_aws_stub(&terraform, &moto.endpoint(), overrides.path());
        workspace.write("main.tf", &example("complete/main.tf"));
        let output = workspace.run(&["validate", "-no-color"]);
        assert!(
            output.success(),
            "Terraform {}: {}",
            terraform.version,
            output.combined()
        );
    }
}

/// examples/complete cannot be applied into a service ECS refuses: without subnets the plan
/// stops at the variable, before anything is created (ECS refuses an awsvpc service with no
/// subnet).
#[test]
fn complete_example_asks_for_its_subnets() {
    let overrides = aws_stub_dir();
    let moto = Moto::start();
    for terraform in terraform_binaries() {
        let workspace = Workspace::with_aws_stub(&terraform, &moto.endpoint(), overrides.path());
        workspace.write("main.tf", &example("complete/main.tf"));
        let unset = workspace.run(&["plan", "-input=false", "-no-color"]);
        let text = unset
            .combined()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            !unset.success()
                && text.contains("No value for required variable")
                && text.contains("subnet_ids"),
            "Terraform {}: {text}",
            terraform.version
        );
        let empty = workspace.run(&["plan", "-input=false", "-no-color", "-var", "subnet_ids=[]"]);
        let text = empty
            .combined()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            !empty.success() && text.contains("Give at least one subnet"),
            "Terraform {}: {text}",
            terraform.version
        );
    }
}

#[test]
fn readme_counts_the_rewrite_rules_the_code_has() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let claim = format!("{} rewrites", ecstpl::taskdef::rules::RULES.len());
    assert!(readme.contains(&claim), "README should say {claim:?}");
}
