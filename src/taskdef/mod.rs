//! stub
use serde_json::{Map, Value};
#[derive(Clone, Debug, Default)]
pub struct Context {
    pub network_mode: Option<String>,
    pub requires_compatibilities: Vec<String>,
}
#[derive(Debug, thiserror::Error)]
#[error("x")]
pub struct ParseError;
pub fn parse_container_definitions(_t: &str) -> Result<Vec<Map<String, Value>>, ParseError> {
    todo!()
}
pub fn containers_equivalent(
    _a: &[Map<String, Value>],
    _b: &[Map<String, Value>],
    _c: &Context,
) -> bool {
    todo!()
}
pub fn container_definitions_for_state(
    _p: Option<&str>,
    _l: &[Map<String, Value>],
    _c: &Context,
) -> String {
    todo!()
}
pub fn containers_for_register(_d: &[Map<String, Value>]) -> Value {
    todo!()
}
pub fn normalize_cpu(_s: &str) -> Option<String> {
    todo!()
}
pub fn normalize_memory(_s: &str) -> Option<String> {
    todo!()
}
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    pub path: Vec<PathSegment>,
    pub summary: String,
    pub detail: String,
}
#[derive(Clone, Debug, PartialEq)]
pub enum PathSegment {
    Index(usize),
    Key(String),
}
pub fn validate_container_definitions(_t: &str, _c: &Context) -> Vec<Problem> {
    todo!()
}
pub fn validate_family(_n: &str) -> Result<(), String> {
    todo!()
}
pub fn validate_fargate_size(_c: &str, _m: &str) -> Result<(), String> {
    todo!()
}
