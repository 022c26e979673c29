#include "hub/hot_lookups.hpp"
#include "store/eviction.hpp"
#include "testutil.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace {

using testutil::TestStore;
using store::CredentialMatch;

const store::RepoType k_model = store::RepoType::model;
const std::string k_one(32, '1');  // two credentials' scopes (salted hashes)
const std::string k_two(32, '2');
constexpr auto k_past_ttl = cache::HotEntries<int>::k_ttl + std::chrono::milliseconds(300);

store::Ref ref_to(char commit, const std::string& credential = "") {
  return store::Ref{k_model, testutil::repo("acme/tiny"), testutil::revision("main"),
                    testutil::commit_id(std::string(40, commit)), 0, credential};
}

std::optional<std::string> commit_of(hub::HotLookups& hot, const std::string& credential = "",
                                     CredentialMatch match = CredentialMatch::exact) {
  auto commit = hot.commit_of(k_model, testutil::repo("acme/tiny"), testutil::revision("main"), credential, match);
  EXPECT_TRUE(commit) << commit.error().message;
  if (!commit || !*commit) return std::nullopt;
  return (*commit)->str();
}

// Indexes `content` as `path` at commit aaa... for `credential`.
store::HubObjectKey put_file(store::Store& s, const std::string& content, const std::string& path,
                             const std::string& credential) {
  auto body = testutil::write_blob(s, content);
  store::HubObjectKey key{k_model, testutil::repo("acme/tiny"), testutil::commit_id(std::string(40, 'a')),
                          testutil::repo_path(path), credential};
  EXPECT_TRUE(s.put(body, store::HubObject{key, body.digest(), testutil::etag(std::string(40, 'e')),
                                           body.size(), false}));
  return key;
}

TEST(HotLookups, ARefThisProcessMovesIsSeenAtOnce) {
  TestStore s;
  hub::HotLookups hot(*s, 16);
  ASSERT_TRUE(s->put(ref_to('a')));
  EXPECT_EQ(commit_of(hot), std::string(40, 'a'));
  EXPECT_EQ(commit_of(hot), std::string(40, 'a'));  // from memory
  ASSERT_TRUE(s->put(ref_to('b')));
  EXPECT_EQ(commit_of(hot), std::string(40, 'b'));
}

TEST(HotLookups, ARefAnotherProcessMovesIsSeenWithinTheTtl) {
  TestStore s;
  hub::HotLookups hot(*s, 16);
  ASSERT_TRUE(s->put(ref_to('a')));
  EXPECT_EQ(commit_of(hot), std::string(40, 'a'));
  // Another process: its own Store on the same folder, whose writes this one does not count.
  auto other = store::Store::open(s->layout().root(), store::OpenMode::must_exist).value();
  ASSERT_TRUE(other->put(ref_to('b')));
  std::this_thread::sleep_for(k_past_ttl);
  EXPECT_EQ(commit_of(hot), std::string(40, 'b'));
}

TEST(HotLookups, AMissIsNotKept) {
  TestStore s;
  hub::HotLookups hot(*s, 16);
  EXPECT_EQ(commit_of(hot), std::nullopt);
  auto other = store::Store::open(s->layout().root(), store::OpenMode::must_exist).value();
  ASSERT_TRUE(other->put(ref_to('c')));
  EXPECT_EQ(commit_of(hot), std::string(40, 'c'));  // at once: nothing was kept
}

TEST(HotLookups, WhatOneCredentialReadIsNotAnothersAnswer) {
  TestStore s;
  hub::HotLookups hot(*s, 16);
  ASSERT_TRUE(s->put(ref_to('a', k_one)));
  const auto key = put_file(*s, "private bytes", "config.json", k_one);
  EXPECT_EQ(commit_of(hot, k_one), std::string(40, 'a'));
  EXPECT_EQ(commit_of(hot, k_two), std::nullopt);
  EXPECT_EQ(commit_of(hot, ""), std::nullopt);

  auto mine = hot.file(key, CredentialMatch::exact).value();
  ASSERT_TRUE(mine);
  EXPECT_EQ(mine->body->size(), std::string("private bytes").size());
  auto theirs = key;
  theirs.credential = k_two;
  EXPECT_EQ(hot.file(theirs, CredentialMatch::exact).value(), nullptr);
  theirs.credential = "";
  EXPECT_EQ(hot.file(theirs, CredentialMatch::exact).value(), nullptr);
  // --share-private: any credential's file will do, and that is a lookup of its own.
  EXPECT_NE(hot.file(theirs, CredentialMatch::any).value(), nullptr);
}

TEST(HotLookups, AFileCarriesItsHeadersAndABodyThatReads) {
  TestStore s;
  hub::HotLookups hot(*s, 16);
  const auto key = put_file(*s, "{\"a\": 1}", "config.json", "");
  auto file = hot.file(key, CredentialMatch::exact).value();
  ASSERT_TRUE(file);
  EXPECT_EQ(util::find_header(file->headers, "X-Repo-Commit"), std::string(40, 'a'));
  EXPECT_EQ(util::find_header(file->headers, "ETag"), "\"" + std::string(40, 'e') + "\"");
  std::string text(8, '\0');
  auto read = file->body->read_at({reinterpret_cast<std::uint8_t*>(text.data()), text.size()}, 0);
  ASSERT_TRUE(read);
  EXPECT_EQ(text, "{\"a\": 1}");
}

TEST(HotLookups, AKeptFileIsPinnedAndOnceLetGoAnEvictedOneIsNotServed) {
  TestStore s;
  hub::HotLookups hot(*s, 16);
  const auto key = put_file(*s, std::string(1000, 'x'), "model.bin", "");
  ASSERT_TRUE(hot.file(key, CredentialMatch::exact).value());  // kept, and its blob pinned
  auto report = store::evict_to_bound(*s, 0).value();
  EXPECT_EQ(report.evicted_blobs, 0u);
  EXPECT_EQ(report.skipped_in_use, 1u);
  EXPECT_TRUE(hot.file(key, CredentialMatch::exact).value());

  std::this_thread::sleep_for(k_past_ttl * 2);  // the sweeper lets it go
  report = store::evict_to_bound(*s, 0).value();
  EXPECT_EQ(report.evicted_blobs, 1u);
  EXPECT_EQ(hot.file(key, CredentialMatch::exact).value(), nullptr);
}

TEST(HotLookups, ACapacityOfZeroKeepsNothingOpen) {
  TestStore s;
  hub::HotLookups hot(*s, 0);
  const auto key = put_file(*s, std::string(1000, 'y'), "model.bin", "");
  ASSERT_TRUE(hot.file(key, CredentialMatch::exact).value());
  EXPECT_EQ(store::evict_to_bound(*s, 0).value().evicted_blobs, 1u);
}

} // namespace

namespace {

store::Exchange answer(const std::string& key, int status) {
  store::Exchange e;
  e.key = key;
  e.method = "GET";
  e.url = "http://hub.test/acme/tiny/resolve/main/added_tokens.json";
  e.status = status;
  return e;
}

TEST(HotLookups, AnAnswerThisProcessRecordsAnewIsSeenAtOnce) {
  TestStore s;
  hub::HotLookups hot(*s, 16);
  const std::string key = "hub-resolve model acme/tiny main added_tokens.json";
  EXPECT_EQ(hot.exchange(key).value(), nullptr);
  ASSERT_TRUE(s->put(nullptr, answer(key, 404)));
  auto first = hot.exchange(key).value();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->entry.status, 404);
  EXPECT_EQ(hot.exchange(key).value(), first);  // from memory
  ASSERT_TRUE(s->put(nullptr, answer(key, 401)));
  EXPECT_EQ(hot.exchange(key).value()->entry.status, 401);
}

TEST(HotLookups, AnAnswersBodyIsPinnedWhileKept) {
  TestStore s;
  hub::HotLookups hot(*s, 16);
  const std::string key = "hub-resolve model acme/tiny main missing.json";
  auto body = testutil::write_blob(*s, std::string(1000, 'z'));
  ASSERT_TRUE(s->put(&body, answer(key, 404)));
  { auto drop = std::move(body); }
  auto kept = hot.exchange(key).value();
  ASSERT_TRUE(kept && kept->body);
  kept.reset();
  EXPECT_EQ(store::evict_to_bound(*s, 0).value().evicted_blobs, 0u);
}

} // namespace
