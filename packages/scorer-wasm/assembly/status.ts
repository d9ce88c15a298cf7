// Status codes of the `schedule` export (kept in sync with src/errors.ts WasmStatus).
export const STATUS_OK: i32 = 0;
export const STATUS_NO_CANDIDATES: i32 = 1;
export const STATUS_SHED: i32 = 2;
export const STATUS_LEGACY_NO_PODS: i32 = 3;
export const STATUS_BAD_REQUEST: i32 = 4;
export const STATUS_FILTERED_EMPTY: i32 = 5;
