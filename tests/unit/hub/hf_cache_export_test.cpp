#include "hub/hf_cache_export.hpp"

#include "testutil.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace {

namespace fs = std::filesystem;
using store::RepoType;

// huggingface_hub's repo_folder_name: "{type}s" and the repo id's parts joined by "--".
TEST(HubExportRepoFolder, TypePrefixAndDoubleDashes) {
  EXPECT_EQ(hub::repo_folder(RepoType::model, testutil::repo("org/name")), "models--org--name");
  EXPECT_EQ(hub::repo_folder(RepoType::dataset, testutil::repo("x/y")), "datasets--x--y");
  EXPECT_EQ(hub::repo_folder(RepoType::space, testutil::repo("org/demo")), "spaces--org--demo");
}

TEST(HubExportRepoFolder, LegacyIdWithoutOrg) {
  EXPECT_EQ(hub::repo_folder(RepoType::model, testutil::repo("gpt2")), "models--gpt2");
  EXPECT_EQ(hub::repo_folder(RepoType::dataset, testutil::repo("squad")), "datasets--squad");
}

TEST(HubExportRepoFolder, KeepsOtherCharacters) {
  EXPECT_EQ(hub::repo_folder(RepoType::model, testutil::repo("Org-1/name.v2_x")), "models--Org-1--name.v2_x");
  // A dash in a name stays single; only '/' becomes "--".
  EXPECT_EQ(hub::repo_folder(RepoType::model, testutil::repo("a-b/c-d")), "models--a-b--c-d");
}

TEST(HubExportLayout, SymlinksIntoBlobs) {
  testutil::TestStore store;
  const std::string commit(40, 'a');
  testutil::put_hub_file(*store, "{\"a\":1}", "config.json", "org/name", commit);
  testutil::put_hub_file(*store, "weights", "onnx/model.onnx", "org/name", commit);
  testutil::TempDir out;
  const auto totals = hub::export_hf_cache(*store, out.path(), hub::ExportOptions{}, nullptr);
  ASSERT_TRUE(totals) << totals.error().message;
  EXPECT_EQ(totals->repos, 1u);
  EXPECT_EQ(totals->files, 2u);
  EXPECT_TRUE(totals->errors.empty());

  const fs::path root = out.path() / "models--org--name";
  const fs::path config = root / "snapshots" / commit / "config.json";
  const fs::path model = root / "snapshots" / commit / "onnx" / "model.onnx";
  ASSERT_TRUE(fs::is_symlink(config));
  ASSERT_TRUE(fs::is_symlink(model));
  // Relative, from the file's own folder, as huggingface_hub makes them.
  EXPECT_EQ(fs::read_symlink(config).parent_path(), fs::path("../../blobs"));
  EXPECT_EQ(fs::read_symlink(model).parent_path(), fs::path("../../../blobs"));
  EXPECT_EQ(testutil::read_file(config), "{\"a\":1}");
  EXPECT_EQ(testutil::read_file(model), "weights");
}

TEST(HubExportLayout, RealFilesWithoutBlobs) {
  testutil::TestStore store;
  const std::string commit(40, 'b');
  testutil::put_hub_file(*store, "hello", "README.md", "gpt2", commit);
  testutil::TempDir out;
  hub::ExportOptions options;
  options.symlinks = false;
  const auto totals = hub::export_hf_cache(*store, out.path(), options, nullptr);
  ASSERT_TRUE(totals) << totals.error().message;
  const fs::path file = out.path() / "models--gpt2" / "snapshots" / commit / "README.md";
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(file)));
  EXPECT_EQ(testutil::read_file(file), "hello");
  EXPECT_FALSE(fs::exists(out.path() / "models--gpt2" / "blobs"));
}

} // namespace
