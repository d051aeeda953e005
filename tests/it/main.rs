//! The integration tests, one binary: each module is the tests of one behaviour, named after
//! it, and `support` holds the fixtures they share (the moto emulator, Terraform workspaces, the
//! recording proxy and its ECS simulators), compiled once. Select tests by path:
//! `cargo test --test it faults::`, `cargo test --test it reliability::an_interrupted`.

mod support;

mod clean_plans;
mod cli_credentials;
mod cli_deployments;
mod cli_input;
mod cli_loop;
mod corpus_roundtrip;
mod demo;
mod deployed_revision;
mod docs_examples;
mod documented_behaviour;
mod express;
mod faults;
mod fleet;
mod fuzz_seeds;
mod handshake;
mod harness_smoke;
mod migration;
mod provider_config;
mod publishing;
mod release_artifacts;
mod reliability;
mod rollout_action;
mod rollout_failures;
mod template_lifecycle;
mod template_plans;
mod template_validation;
mod throttling;
mod verify;
mod workflow_bugs;
mod workflows;
