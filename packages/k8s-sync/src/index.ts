// k8s-sync: the package skeleton; its issue fills it in.
export {};
