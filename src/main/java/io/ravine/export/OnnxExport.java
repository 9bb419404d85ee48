package io.ravine.export;

import io.ravine.InvalidInputException;
import io.ravine.backend.Activation;
import io.ravine.backend.LossKind;
import io.ravine.io.ProtoWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code ravine export --format onnx}: an ONNX model of the MLP, written with {@link ProtoWriter} (field numbers from
 * onnx/onnx.proto).
 *
 * <ul>
 *   <li><b>Versions.</b> IR version {@value #IR_VERSION} and the default-domain opset {@value #OPSET} (ONNX 1.12;
 *       ONNX Runtime reads them from 1.12 on, 1.20 included).</li>
 *   <li><b>Input</b> {@code features}: float [N, inputDim], N symbolic (any batch size), raw features.</li>
 *   <li><b>Normalization</b> (models trained with z-score inputs): {@code Sub(features, normalizer.mean)} then
 *       {@code Div(·, normalizer.std)}, both [inputDim] initializers broadcast over the batch: the same operations
 *       Ravine applies, rather than a fold into the first layer, so the first layer keeps Ravine's weights
 *       bit for bit and no precision is lost when a feature's mean is large next to its standard deviation
 *       ({@link Folding}). {@code normalizer.std} holds the divisors Ravine applies (1 for a near-constant
 *       feature).</li>
 *   <li><b>Layers</b>: per layer k, {@code Gemm(h, layers.k.weight, layers.k.bias, transB=1)} with the weight in
 *       Ravine's (and nn.Linear's) [out, in] layout, then {@code Relu}, {@code Tanh}, {@code Sigmoid} or
 *       {@code Identity} after every hidden layer.</li>
 *   <li><b>Outputs</b>: softmax-ce: {@code logits} [N, K] and {@code probabilities} = {@code Softmax(logits,
 *       axis=1)}; logistic-ce: {@code logits} and {@code probabilities} = {@code Sigmoid(logits)}; mse:
 *       {@code outputs} [N, K] (the last Gemm's output).</li>
 *   <li><b>Metadata</b> ({@code metadata_props}): {@code format} = {@value #FORMAT}, {@code architecture},
 *       {@code normalization}, {@code output}.</li>
 * </ul>
 */
public final class OnnxExport {
    /** ONNX IR version 8 (ONNX 1.10–1.12). */
    public static final int IR_VERSION = 8;
    /** The default ("ai.onnx") opset: 17 (ONNX 1.12). */
    public static final int OPSET = 17;
    /** The {@code format} metadata entry. */
    public static final String FORMAT = "ravine-onnx-export-1";
    public static final String INPUT = "features";
    /**
     * A protobuf message cannot exceed 2 GiB; the whole model is one message (no external data), so a model whose
     * tensors come near that is refused before anything is built.
     */
    static final long MAX_BYTES = (1L << 31) - 1 - (1L << 20);

    // TensorProto.DataType.FLOAT; AttributeProto.AttributeType.INT.
    private static final int FLOAT = 1;
    private static final int ATTRIBUTE_INT = 2;

    private OnnxExport() {
    }

    /** The graph's output names: {@code logits, probabilities} for classifiers, {@code outputs} for mse. */
    public static List<String> outputNames(LossKind loss) {
        return loss == LossKind.MSE ? List.of("outputs") : List.of("logits", "probabilities");
    }

    /** The ONNX operator of an activation. */
    static String operator(Activation a) {
        return switch (a) {
            case IDENTITY -> "Identity";
            case LOGISTIC -> "Sigmoid";
            case TANH -> "Tanh";
            case RELU -> "Relu";
        };
    }

    /** The metadata_props entries. */
    public static Map<String, String> metadata(ExportSpec spec) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", FORMAT);
        meta.put("architecture", spec.describe());
        meta.put("normalization", spec.normalized()
                ? "zscore: Sub(normalizer.mean) then Div(normalizer.std) on the input; the model takes raw features"
                : "none");
        meta.put("output", TorchExport.output(spec.loss()));
        return meta;
    }

    /**
     * The serialized ModelProto.
     *
     * @throws InvalidInputException if the model is too large for one protobuf message
     */
    public static byte[] toBytes(ExportSpec spec) {
        long bytes = 4L * (spec.mlp().parameterCount() + (spec.normalized() ? 2L * spec.inputDim() : 0));
        if (bytes > MAX_BYTES) {
            throw new InvalidInputException("the model " + spec.describe() + " holds " + bytes + " bytes of tensors,"
                    + " over the 2 GiB a single ONNX (protobuf) file can hold; export it with --format torch");
        }
        ProtoWriter model = new ProtoWriter()
                .int64(1, IR_VERSION) // ir_version
                .string(2, "ravine") // producer_name
                .string(3, "0.1.0") // producer_version
                .string(6, "Ravine MLP " + spec.describe() + "; input '" + INPUT + "' takes "
                        + (spec.normalized() ? "raw features (the z-score normalization is inside)"
                                : "features as the model was trained on them (no normalization)")) // doc_string
                .message(7, graph(spec)) // graph
                .message(8, new ProtoWriter().int64(2, OPSET)); // opset_import {version}; domain "" = ai.onnx
        for (Map.Entry<String, String> e : metadata(spec).entrySet()) {
            model.message(14, new ProtoWriter().string(1, e.getKey()).string(2, e.getValue())); // metadata_props
        }
        return model.toByteArray();
    }

    /** Python that runs {@code file} with ONNX Runtime on raw features {@code x}. */
    public static String pythonSnippet(ExportSpec spec, String file) {
        List<String> outs = outputNames(spec.loss());
        return "import numpy as np\n"
                + "import onnxruntime as ort\n\n"
                + "session = ort.InferenceSession(" + TorchExport.pythonString(file) + ")\n"
                + "# x: [N, " + spec.inputDim() + "] " + (spec.normalized() ? "raw features (the normalization is inside)"
                        : "features as the model was trained on them (no input normalization)") + "\n"
                + (outs.size() == 1 ? "(" + outs.get(0) + ",)" : String.join(", ", outs)) + " = session.run("
                + "[" + String.join(", ", outs.stream().map(o -> "\"" + o + "\"").toList()) + "], {\"" + INPUT
                + "\": x.astype(np.float32)})\n";
    }

    private static ProtoWriter graph(ExportSpec spec) {
        List<ProtoWriter> nodes = new ArrayList<>();
        List<ProtoWriter> initializers = new ArrayList<>();
        String h = INPUT;
        if (spec.normalized()) {
            initializers.add(tensor("normalizer.mean", new long[] {spec.inputDim()}, spec.mean()));
            initializers.add(tensor("normalizer.std", new long[] {spec.inputDim()}, spec.std()));
            nodes.add(node("normalize.sub", "Sub", List.of(h, "normalizer.mean"), "centred", null, 0));
            nodes.add(node("normalize.div", "Div", List.of("centred", "normalizer.std"), "normalized", null, 0));
            h = "normalized";
        }
        int[] widths = spec.widths();
        int last = spec.layerCount() - 1;
        String out = outputNames(spec.loss()).get(0);
        for (int k = 0; k <= last; k++) {
            String w = "layers." + k + ".weight";
            String b = "layers." + k + ".bias";
            // A batch-norm layer in evaluation mode is affine: folded into this Gemm (ExportSpec.evaluationAffine).
            float[][] affine = spec.evaluationAffine(k);
            initializers.add(tensor(w, new long[] {widths[k + 1], widths[k]}, affine[0]));
            initializers.add(tensor(b, new long[] {widths[k + 1]}, affine[1]));
            String z = k == last ? out : "layers." + k + ".z";
            nodes.add(node("layers." + k + ".gemm", "Gemm", List.of(h, w, b), z, "transB", 1));
            if (k < last) {
                h = "layers." + k + ".h";
                nodes.add(node("layers." + k + "." + operator(spec.hidden()).toLowerCase(java.util.Locale.ROOT),
                        operator(spec.hidden()), List.of(z), h, null, 0));
            }
        }
        switch (spec.loss()) {
            case SOFTMAX_CE -> nodes.add(node("softmax", "Softmax", List.of(out), "probabilities", "axis", 1));
            case LOGISTIC_CE -> nodes.add(node("sigmoid", "Sigmoid", List.of(out), "probabilities", null, 0));
            case MSE -> {
            }
        }
        ProtoWriter g = new ProtoWriter();
        for (ProtoWriter n : nodes) {
            g.message(1, n); // node
        }
        g.string(2, "ravine_mlp"); // name
        for (ProtoWriter t : initializers) {
            g.message(5, t); // initializer
        }
        g.message(11, valueInfo(INPUT, spec.inputDim())); // input
        for (String name : outputNames(spec.loss())) {
            g.message(12, valueInfo(name, spec.outputDim())); // output
        }
        return g;
    }

    /** NodeProto: input (1), output (2), name (3), op_type (4), attribute (5), with at most one int attribute. */
    static ProtoWriter node(String name, String op, List<String> inputs, String output, String attribute,
            long value) {
        ProtoWriter n = new ProtoWriter();
        for (String in : inputs) {
            n.string(1, in);
        }
        n.string(2, output).string(3, name).string(4, op);
        if (attribute != null) {
            // AttributeProto: name (1), i (3), type (20).
            n.message(5, new ProtoWriter().string(1, attribute).int64(3, value).int64(20, ATTRIBUTE_INT));
        }
        return n;
    }

    /** TensorProto, float: dims (1, one field per dimension), data_type (2), name (8), raw_data (9, little-endian). */
    static ProtoWriter tensor(String name, long[] dims, float[] values) {
        ProtoWriter t = new ProtoWriter();
        for (long d : dims) {
            t.int64(1, d);
        }
        ByteBuffer raw = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return t.int32(2, FLOAT).string(8, name).bytes(9, raw.array());
    }

    /**
     * ValueInfoProto of a float [N, width] tensor: name (1), type (2) = TypeProto {tensor_type (1) = {elem_type (1),
     * shape (2) = TensorShapeProto {dim (1) = {dim_param (2) "N"}, dim = {dim_value (1) width}}}}.
     */
    static ProtoWriter valueInfo(String name, int width) {
        ProtoWriter shape = new ProtoWriter()
                .message(1, new ProtoWriter().string(2, "N"))
                .message(1, new ProtoWriter().int64(1, width));
        ProtoWriter tensorType = new ProtoWriter().int32(1, FLOAT).message(2, shape);
        return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
    }
}
