//! Link settings of the component.

fn main() {
    // The linker's stack is the shadow stack in linear memory (the call stack itself is
    // the engine's): locals whose address is taken, large values. 1 MiB is Rust's default
    // for wasm; 256 KiB is ample here, and a host resets every page of it after each call.
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        println!("cargo:rustc-link-arg=-zstack-size=262144");
    }
}
