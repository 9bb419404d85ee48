/**
 * Files Ravine writes and reads back: {@link io.ravine.io.AtomicFiles} replaces a file all at once or not at all
 * (a crash mid-save leaves the previous checkpoint), and {@link io.ravine.io.SafeTensors} reads and writes the
 * safetensors format (Hugging Face), so checkpoints load in PyTorch with {@code safetensors.torch.load_file};
 * {@link io.ravine.io.EventFile} writes TensorBoard event files with {@link io.ravine.io.ProtoWriter}, the small
 * protobuf encoder the ONNX exporter uses too.
 */
package io.ravine.io;
