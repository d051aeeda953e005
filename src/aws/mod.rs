//! The only code that talks to ECS.
