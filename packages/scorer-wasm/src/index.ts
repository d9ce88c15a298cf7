// scorer-wasm: the package skeleton; its issue fills it in.
export {};
