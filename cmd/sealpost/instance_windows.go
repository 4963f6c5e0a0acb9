package main

// privateDir is false on Windows: Sealpost cannot check a folder's ACL
// there, so the app runs without single-instance hand-over and every
// start opens its own window.
func privateDir(string) bool { return false }
