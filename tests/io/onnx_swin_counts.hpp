#pragma once
// Parameters and MACs of torchvision's Swin Transformer (Liu et al., 2021; swin_transformer.py
// of torchvision 0.14) from its architecture, for the importer's tests (tests/io/onnx*.cpp).

namespace eosdnn::test {

// A SwinTransformer on a 224x224 image: patches of 4x4 embedded in C = 96 features, stages of
// `depth` blocks with `heads` heads (C doubles from stage to stage), windows of 7x7, MLP ratio 4,
// every second block of a stage on shifted windows, patch merging between the stages, a final
// LayerNorm and the head (1000 classes).
struct swin_architecture {
    int stages = 4;
    double depth[4] = {};
    double heads[4] = {};
    double image = 224, patch = 4, embed = 96, window = 7, classes = 1000;

    constexpr double table() const { return (2 * window - 1) * (2 * window - 1); }  // offsets
    constexpr double window_tokens() const { return window * window; }

    // Patch embedding (convolution with bias, LayerNorm); per block two LayerNorms, qkv
    // (3C x C + 3C), proj (C x C + C), the relative position bias table (169 x heads) and the
    // MLP (C x 4C + 4C, 4C x C + C): 12 C^2 + 13 C + 169 h; patch merging (LayerNorm of 4C,
    // 4C -> 2C without bias); the final LayerNorm and the head.
    constexpr double parameters() const {
        double c = embed, total = embed * 3 * patch * patch + embed + 2 * embed;
        for (int s = 0; s < stages; ++s) {
            total += depth[s] * (12 * c * c + 13 * c + table() * heads[s]);
            if (s + 1 < stages) {
                total += 2 * 4 * c + 4 * c * 2 * c;
                c *= 2;
            }
        }
        return total + 2 * c + c * classes + classes;
    }
    // What an export holds: torch's exporter folds each block's table[index] lookup into the
    // bias itself, heads x 49 x 49 floats, which replaces the table.
    constexpr double file_parameters() const {
        double total = parameters();
        for (int s = 0; s < stages; ++s)
            total += depth[s] * heads[s] * (window_tokens() * window_tokens() - table());
        return total;
    }
    // Patch embedding; per block over N tokens qkv, proj and MLP (12 N C^2) and Q K^T and A V
    // inside each window of M tokens (2 N M C); patch merging (N/4 tokens x 4C x 2C = 2 N C^2);
    // the head on the pooled features.
    constexpr double macs() const {
        double n = (image / patch) * (image / patch), c = embed;
        double total = n * embed * 3 * patch * patch;
        for (int s = 0; s < stages; ++s) {
            total += depth[s] * (12 * n * c * c + 2 * n * window_tokens() * c);
            if (s + 1 < stages) {
                total += 2 * n * c * c;
                n /= 4;
                c *= 2;
            }
        }
        return total + c * classes;
    }
};

// torchvision's swin_t.
inline constexpr swin_architecture swin_t{
    .stages = 4, .depth = {2, 2, 6, 2}, .heads = {3, 6, 12, 24}};
static_assert(swin_t.parameters() == 28'288'354);  // torchvision's count
static_assert(swin_t.macs() == 4'490'566'656);
// The committed fixture (tools/onnx/export_torchvision.py): swin_t's first two stages.
inline constexpr swin_architecture swin_reduced{.stages = 2, .depth = {2, 2}, .heads = {3, 6}};

}  // namespace eosdnn::test
