// The body of a proto codec tool: the bridge between parley's generated protobuf classes and a
// Python wire-compatibility test that holds the official definitions of the same messages:
//   tool descriptors          -> FileDescriptorSet of parley's .proto files (stdout)
//   tool encode pkg.Message   <- proto JSON on stdin,  -> binary on stdout
//   tool decode pkg.Message   <- binary on stdin,      -> proto JSON on stdout
// encode/decode go through parley's classes only, so a number, type or name that differs from
// upstream shows up as a mismatch on the Python side.
#pragma once

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>

#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace parley::testing {

inline void add_proto_file(const google::protobuf::FileDescriptor* file, std::set<std::string>& seen,
                           google::protobuf::FileDescriptorSet& out) {
  if (!seen.insert(file->name()).second) return;
  for (int i = 0; i < file->dependency_count(); ++i) add_proto_file(file->dependency(i), seen, out);
  file->CopyTo(out.add_file());
}

// `files`: parley's .proto files (their dependencies come along).
inline int proto_codec_main(int argc, char** argv, const std::vector<const google::protobuf::FileDescriptor*>& files) {
  namespace pb = google::protobuf;
  std::ios::sync_with_stdio(false);
  if (argc == 2 && std::string(argv[1]) == "descriptors") {
    pb::FileDescriptorSet set;
    std::set<std::string> seen;
    for (const auto* f : files) add_proto_file(f, seen, set);
    std::cout << set.SerializeAsString();
    return 0;
  }
  if (argc != 3) {
    std::cerr << "usage: " << argv[0] << " descriptors | encode|decode package.Message\n";
    return 2;
  }
  std::string mode = argv[1];
  const pb::Descriptor* d = pb::DescriptorPool::generated_pool()->FindMessageTypeByName(argv[2]);
  if (d == nullptr) {
    std::cerr << "unknown message " << argv[2] << "\n";
    return 2;
  }
  std::unique_ptr<pb::Message> msg(pb::MessageFactory::generated_factory()->GetPrototype(d)->New());
  std::string input((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
  if (mode == "encode") {
    auto status = pb::util::JsonStringToMessage(input, msg.get());
    if (!status.ok()) {
      std::cerr << "json: " << status.ToString() << "\n";
      return 1;
    }
    std::cout << msg->SerializeAsString();
    return 0;
  }
  if (mode == "decode") {
    if (!msg->ParseFromString(input)) {
      std::cerr << "binary: parse failed\n";
      return 1;
    }
    std::string json;
    pb::util::JsonPrintOptions opts;
    opts.preserve_proto_field_names = true;
    auto status = pb::util::MessageToJsonString(*msg, &json, opts);
    if (!status.ok()) {
      std::cerr << "json: " << status.ToString() << "\n";
      return 1;
    }
    std::cout << json;
    return 0;
  }
  std::cerr << "unknown mode " << mode << "\n";
  return 2;
}

}  // namespace parley::testing
