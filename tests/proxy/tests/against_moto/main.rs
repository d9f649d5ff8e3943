//! The proxy between the real AWS SDK and a real moto: forwarding is transparent, every
//! injected fault reaches the SDK in the form it classifies as AWS's own, and every AWS
//! behaviour preset answers as AWS does. One test binary, one module per topic.

mod common;
mod consistency;
mod control;
mod forwarding;
mod pending;
mod presets_data;
mod presets_launch;
