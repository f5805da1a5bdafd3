//! The `glimpse-app` binary: Glimpse's desktop app (see the `glimpse_app` library).
// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    if let Err(message) = glimpse_app::run() {
        eprintln!("glimpse: {message}");
        std::process::exit(1);
    }
}
