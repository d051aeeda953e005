//! Provider configuration as Terraform delivers it: values unknown at plan time must not break
//! anything, and no credential ever reaches a log line, even at TF_LOG=trace.

use crate::support;
use crate::support::templates::PLAIN_HEADER;
use crate::support::{Moto, Workspace, terraform_binaries};

/// The aliased provider's region is unknown until the first template exists (after the
/// header).
const UNKNOWN_AT_PLAN: &str = r#"
resource "ecstpl_template" "first" {
  family                = "first-template"
  container_definitions = jsonencode([{ name = "app", image = "placeholder", memory = 128 }])
}

provider "ecstpl" {
  alias  = "late"
  region = ecstpl_template.first.arn != "" ? "us-east-1" : "us-west-2"
  default_tags {
    tags = { from = ecstpl_template.first.family }
  }
}

resource "ecstpl_template" "second" {
  provider              = ecstpl.late
  family                = "second-template"
  container_definitions = jsonencode([{ name = "app", image = "placeholder", memory = 128 }])
}
"#;

#[test]
fn provider_configuration_unknown_at_plan_time_plans_and_applies() {
    let moto = Moto::start();
    for terraform in terraform_binaries() {
        let workspace = Workspace::new(&terraform, &moto.endpoint());
        workspace.write("main.tf", &format!("{PLAIN_HEADER}{UNKNOWN_AT_PLAN}"));
        let (code, output) = workspace.plan_detailed_exitcode(&[]);
        assert_eq!(
            code,
            2,
            "Terraform {}:\n{}",
            terraform.version,
            output.combined()
        );
        assert!(output.stdout.contains("2 to add"), "{}", output.stdout);
        workspace.apply(&[]);
        let (code, output) = workspace.plan_detailed_exitcode(&[]);
        assert_eq!(
            code,
            0,
            "Terraform {}:\n{}",
            terraform.version,
            output.combined()
        );
        workspace.destroy(&[]);
    }
}

#[test]
fn credentials_never_appear_in_logs() {
    const SECRET: &str = "SuperSecretKeyValue0123456789abcdefXYZ";
    const SESSION: &str = "SessionTokenValue9876543210zyxwvu";
    let moto = Moto::start();
    let terraform = terraform_binaries().remove(0);
    let mut workspace = Workspace::new(&terraform, &moto.endpoint());
    workspace.env("AWS_SECRET_ACCESS_KEY", SECRET);
    workspace.env("AWS_SESSION_TOKEN", SESSION);
    workspace.write(
        "main.tf",
        &format!(
            r#"{PLAIN_HEADER}
resource "ecstpl_template" "web" {{
  family                = "web-template"
  container_definitions = jsonencode([{{ name = "app", image = "placeholder", memory = 128 }}])
}}
"#
        ),
    );
    let trace = [("TF_LOG", "trace")];
    for args in [
        &["apply", "-auto-approve", "-input=false", "-no-color"][..],
        &["plan", "-input=false", "-no-color"][..],
        &["destroy", "-auto-approve", "-input=false", "-no-color"][..],
    ] {
        let output = workspace.run_with_env(args, &trace);
        assert!(output.success(), "{}", output.combined());
        let all = output.combined();
        assert!(
            all.contains("provider.terraform-provider-ecstpl"),
            "the provider logged nothing at trace level, so this test proves nothing"
        );
        assert!(
            !all.contains(SECRET),
            "the secret key appeared in a log line"
        );
        assert!(
            !all.contains(SESSION),
            "the session token appeared in a log line"
        );
    }
}

const PROFILE_CONFIG: &str = r#"
terraform {
  required_providers {
    ecstpl = { source = "ecstpl/ecstpl" }
  }
}
variable "profile" {
  type    = string
  default = null
}
provider "ecstpl" {
  region                   = "us-east-1"
  profile                  = var.profile
  shared_credentials_files = ["${path.module}/credentials"]
}
resource "ecstpl_template" "web" {
  family                = "web-template"
  container_definitions = jsonencode([{ name = "app", image = "placeholder", memory = 128 }])
}
"#;

const CREDENTIALS_FILE: &str = "[default]\naws_access_key_id = DEFAULTPROFILEKEY\naws_secret_access_key = default-secret\n\n[other]\naws_access_key_id = OTHERPROFILEKEY\naws_secret_access_key = other-secret\n";

/// With `AWS_ACCESS_KEY_ID` in the environment, an explicit `profile` still decides the
/// credentials (as the AWS provider and the aws CLI do); without one, the environment's keys
/// are used, as in the standard chain.
#[test]
fn an_explicit_profile_wins_over_environment_credentials() {
    let moto = Moto::start();
    let proxy = support::proxy::RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let mut workspace = Workspace::new(&terraform, &proxy.endpoint());
    workspace.env("AWS_ACCESS_KEY_ID", "ENVIRONMENTKEY");
    workspace.write("main.tf", PROFILE_CONFIG);
    workspace.write("credentials", CREDENTIALS_FILE);

    workspace.apply(&["-var", "profile=other"]);
    let keys = proxy.access_keys();
    assert!(!keys.is_empty(), "no ECS call reached the proxy");
    assert!(
        keys.iter().all(|k| k == "OTHERPROFILEKEY"),
        "requests were signed with {keys:?}, not the profile's key"
    );

    proxy.clear_access_keys();
    let (code, output) = workspace.plan_detailed_exitcode(&[]);
    assert_eq!(code, 0, "{}", output.combined());
    let keys = proxy.access_keys();
    assert!(!keys.is_empty());
    assert!(
        keys.iter().all(|k| k == "ENVIRONMENTKEY"),
        "without a profile the environment's keys come first: {keys:?}"
    );
    workspace.destroy(&["-var", "profile=other"]);
}

#[test]
fn an_unknown_profile_is_an_error_naming_it() {
    let moto = Moto::start();
    let proxy = support::proxy::RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let mut workspace = Workspace::new(&terraform, &proxy.endpoint());
    workspace.env("AWS_ACCESS_KEY_ID", "ENVIRONMENTKEY");
    workspace.write("main.tf", PROFILE_CONFIG);
    workspace.write("credentials", CREDENTIALS_FILE);
    let (code, output) = workspace.plan_detailed_exitcode(&["-var", "profile=othr"]);
    assert_eq!(code, 1, "{}", output.combined());
    let text = output.combined();
    assert!(
        text.contains("profile \"othr\" is not defined") && text.contains("default, other"),
        "{text}"
    );
    assert!(proxy.calls().is_empty(), "{:?}", proxy.calls());
}

/// `shared_config_files` are read as the AWS provider reads them: a profile defined only
/// there (`[profile name]`, with its keys) is found and signs the requests.
#[test]
fn a_profile_from_shared_config_files_signs_the_requests() {
    let moto = Moto::start();
    let proxy = support::proxy::RecordingProxy::start(&moto.endpoint());
    let terraform = terraform_binaries().remove(0);
    let mut workspace = Workspace::new(&terraform, &proxy.endpoint());
    workspace.env("AWS_ACCESS_KEY_ID", "ENVIRONMENTKEY");
    workspace.write(
        "main.tf",
        &PROFILE_CONFIG.replace(
            "  shared_credentials_files = [\"${path.module}/credentials\"]",
            "  shared_credentials_files = [\"${path.module}/credentials\"]\n  shared_config_files      = [\"${path.module}/config\"]",
        ),
    );
    workspace.write("credentials", CREDENTIALS_FILE);
    workspace.write(
        "config",
        "[profile fromconfig]\naws_access_key_id = CONFIGFILEKEY\naws_secret_access_key = config-secret\n",
    );
    workspace.apply(&["-var", "profile=fromconfig"]);
    let keys = proxy.access_keys();
    assert!(
        !keys.is_empty() && keys.iter().all(|k| k == "CONFIGFILEKEY"),
        "requests were signed with {keys:?}, not the config file profile's key"
    );
    workspace.destroy(&["-var", "profile=fromconfig"]);
}
