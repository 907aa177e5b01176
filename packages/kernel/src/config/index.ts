// Owned by the config and plugin work; re-exported from the package root.
export {};
