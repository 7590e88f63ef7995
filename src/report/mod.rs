//! Renderers: each takes a finished value and writes it to any `impl Write`.

pub mod inspect;
