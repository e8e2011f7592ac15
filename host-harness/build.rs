//! Builds the meetkit component (`plugin/`) for `wasm32-wasip2` with the size-tuned
//! `component` profile, so that every `cargo build`, `cargo run` and `cargo test` of the
//! host embeds a component that matches the sources. The nested build uses a target
//! folder of its own so that it never waits on the outer build's lock.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

const TARGET: &str = "wasm32-wasip2";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap());
    let root = manifest_dir.parent().unwrap().to_path_buf();
    for watched in ["plugin/src", "plugin/Cargo.toml", "wit", "Cargo.lock", "Cargo.toml"] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }
    println!("cargo:rerun-if-env-changed=MEETKIT_COMPONENT");

    // A prebuilt component may be supplied instead (packaging, cross builds).
    if let Ok(prebuilt) = env::var("MEETKIT_COMPONENT") {
        println!("cargo:rustc-env=MEETKIT_COMPONENT_PATH={prebuilt}");
        return;
    }

    let target_dir = env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root.join("target"))
        .join("component");
    ensure_target_installed();

    let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(&root)
        .args(["build", "--package", "meetkit-plugin", "--lib", "--target", TARGET, "--profile", "component"])
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's settings are for the host, not for the component.
    for (key, _) in env::vars() {
        if key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_MAKEFLAGS"
            || key == "RUSTFLAGS"
            || key == "RUSTC_WORKSPACE_WRAPPER"
        {
            cmd.env_remove(key);
        }
    }
    let status = cmd.status().expect("cargo could not be started to build the component");
    assert!(status.success(), "building the meetkit component for {TARGET} failed");

    let wasm = target_dir.join(TARGET).join("component").join("meetkit_plugin.wasm");
    assert!(wasm.exists(), "the component was not produced at {}", wasm.display());
    println!("cargo:rustc-env=MEETKIT_COMPONENT_PATH={}", wasm.display());
}

/// Installs the wasm target through rustup when the toolchain lacks it (the toolchain
/// file names it, but older rustup versions do not install targets on their own).
fn ensure_target_installed() {
    let rustc = env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let Ok(out) = Command::new(&rustc).args(["--print", "sysroot"]).output() else {
        return;
    };
    let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if Path::new(&sysroot).join("lib/rustlib").join(TARGET).exists() {
        return;
    }
    let status = Command::new("rustup").args(["target", "add", TARGET]).status();
    assert!(
        matches!(status, Ok(s) if s.success()),
        "the {TARGET} target is missing and `rustup target add {TARGET}` failed"
    );
}
