// A custom mutation operator plugged into the PSO-GA engine.
//
// Good offloading plans are runs of consecutive layers on one node. This mutation moves the
// border between two runs by one layer: it picks a free gene whose neighbour sits on another
// node and gives it that neighbour's node (one run grows, the other shrinks). Half of the time it
// does the paper's one-gene reset instead, which can bring a node back that no gene holds any
// more. The engine takes any copyable type with
// operator()(genes, gene_space, rng) -> gene_range (the concept eosdnn::mutation_operator; a
// validate() member is optional, for parameters to check); the draws go through Boost.Random so
// that a seed gives the same plan with any standard library.
#include <eosdnn/eosdnn.hpp>

#include <boost/random/uniform_int_distribution.hpp>

#include <cstdio>
#include <random>
#include <span>

namespace {

struct border_shift_mutation {  // no parameters, hence no validate()
    // The deterministic core, testable without a random engine: free gene
    // `space.free_genes()[pick]` takes the node of its left (or right) neighbour, if that differs
    // and the gene allows it. Returns the genes it changed.
    static eosdnn::gene_range apply(std::span<eosdnn::node_id> x, const eosdnn::gene_space& space,
                                    std::size_t pick, bool from_left) {
        const std::size_t g = space.free_genes()[pick];
        if (from_left ? g == 0 : g + 1 == x.size()) return {};
        const eosdnn::node_id neighbour = from_left ? x[g - 1] : x[g + 1];
        if (neighbour == x[g] || !space.allows(g, neighbour)) return {};
        x[g] = neighbour;
        return {g, g + 1};
    }

    template <std::uniform_random_bit_generator Rng>
    eosdnn::gene_range operator()(std::span<eosdnn::node_id> x, const eosdnn::gene_space& space,
                                  Rng& rng) const {
        const std::size_t n = space.free_genes().size();
        if (n == 0) return {};
        boost::random::uniform_int_distribution<int> coin(0, 1);
        if (coin(rng) == 0) return eosdnn::uniform_reset_mutation{}(x, space, rng);
        // A few tries to land on a border; a particle without any is left as it is.
        boost::random::uniform_int_distribution<std::size_t> draw(0, n - 1);
        for (int attempt = 0; attempt < 8; ++attempt) {
            const std::size_t pick = draw(rng);
            if (auto changed = apply(x, space, pick, coin(rng) == 0); !changed.empty())
                return changed;
        }
        return {};
    }
};
static_assert(eosdnn::mutation_operator<border_shift_mutation, std::mt19937_64>);

}  // namespace

int main() {
    eosdnn::environment_builder b;
    auto phone = b.add_node({.name = "phone", .tier = eosdnn::tier::local, .flops_per_s = 20e9});
    auto edge = b.add_node({.name = "edge", .tier = eosdnn::tier::edge, .flops_per_s = 1e12});
    auto cloud = b.add_node({.name = "cloud", .tier = eosdnn::tier::cloud, .flops_per_s = 10e12});
    b.connect(phone, edge, {.bandwidth_Bps = eosdnn::mbps(30), .latency_s = 0.005});
    b.connect(phone, cloud, {.bandwidth_Bps = eosdnn::mbps(10), .latency_s = 0.04});
    b.connect(edge, cloud, {.bandwidth_Bps = eosdnn::mbps(500), .latency_s = 0.02});
    const eosdnn::analytic_model model(b.build());
    const eosdnn::layer_graph net =
        eosdnn::zoo_model("vgg16");  // a chain: Viterbi gives the optimum
    eosdnn::delay_evaluator problem(net, model);

    const eosdnn::pso_ga_options options{.population = 30, .iterations = 200};
    const eosdnn::paper_pso_ga paper(options);
    // The paper's engine with the new mutation in place of its one-gene reset, all else unchanged.
    const auto custom = eosdnn::with_mutation(paper, border_shift_mutation{});
    const double optimum = eosdnn::viterbi_chain(net, model).delay_s;
    std::printf("VGG-16 over phone, edge and cloud; optimum (Viterbi) %.2f ms\n", optimum * 1e3);
    double paper_sum = 0, custom_sum = 0;
    const int seeds = 10;
    for (std::uint64_t seed = 1; seed <= seeds; ++seed) {
        paper_sum += paper.solve(problem, seed).value.delay_s;
        custom_sum += custom.solve(problem, seed).value.delay_s;
    }
    std::printf("mean of %d seeds: paper mutation %.2f ms, with border shifts %.2f ms\n", seeds,
                paper_sum / seeds * 1e3, custom_sum / seeds * 1e3);
}
