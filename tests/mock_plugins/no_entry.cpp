// Mock: a valid shared library that lacks the archbench entry symbol.
extern "C" __attribute__((visibility("default"))) int some_other_function() { return 42; }
