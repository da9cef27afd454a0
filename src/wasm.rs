//! The JavaScript boundary. Every `#[wasm_bindgen]` item of the crate lives here.
//!
//! Each export is: convert the JS input (bytes or string) → call the pure core → serialize the
//! result as JSON text → `JSON.parse` on the JS side of the boundary. Errors become real `Error`
//! objects with a stable `code` property.

use wasm_bindgen::prelude::*;

/// The package version, e.g. `"0.1.0"`.
#[wasm_bindgen(js_name = version)]
pub fn version() -> String {
    crate::VERSION.to_owned()
}
