// Calibration: a dispatch that does nothing. Timing many of them in a row
// gives the per-dispatch overhead of the device, which small problems pay.
#version 450
layout(local_size_x = 64) in;
void main() {}
