//! The test suite's ECS rollout simulator as a standalone process, for `scripts/demo`: moto
//! never runs tasks, so deployments would never complete. Forwards to the emulator given as
//! the first argument, completes every rollout after one poll, prints its endpoint, and runs
//! until killed. Test tooling, not part of ecstpl.

#[path = "../tests/it/support/deployments.rs"]
#[allow(dead_code)]
mod deployments;
#[path = "../tests/it/support/ecs_model.rs"]
#[allow(dead_code)]
mod ecs_model;
#[path = "../tests/it/support/express.rs"]
#[allow(dead_code)]
mod express;
#[path = "../tests/it/support/proxy.rs"]
#[allow(dead_code)]
mod proxy;
#[path = "../tests/it/support/throttle.rs"]
#[allow(dead_code)]
mod throttle;

fn main() {
    let Some(upstream) = std::env::args().nth(1) else {
        eprintln!("usage: ecs-rollout-proxy http://127.0.0.1:PORT");
        std::process::exit(2);
    };
    let simulator = proxy::RecordingProxy::start(&upstream);
    simulator.simulate_rollouts(proxy::Rollout::CompleteAfter(1));
    println!("{}", simulator.endpoint());
    loop {
        std::thread::park();
    }
}
