// Owned by the retry policy work; re-exported from the package root.
export {};
