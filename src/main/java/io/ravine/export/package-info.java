/**
 * Export of a trained MLP to other frameworks, as pure converters from an {@link io.ravine.export.ExportSpec}
 * (architecture, θ, input normalization): {@link io.ravine.export.TorchExport} (a safetensors state dict of
 * {@code nn.Sequential}, the normalization folded into the first layer by {@link io.ravine.export.Folding}) and
 * {@link io.ravine.export.OnnxExport} (an ONNX model written with the small protobuf writer
 * {@link io.ravine.io.ProtoWriter}). {@link io.ravine.export.CheckpointReader} builds the spec from a checkpoint
 * file. The command is {@code ravine export}; the formats are described in docs/export.md.
 */
package io.ravine.export;
